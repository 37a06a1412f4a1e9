/** The v3 shapes the UI reads, as the server renders them: derived from the shared declarations. */

import type { ResourceOf } from '../../../src/schema/schema.js';
import type { ValuesOf } from '../../../src/schema/fields.js';
import type {
  cluster,
  clusterRegistrationToken,
  clusterRoleTemplateBinding,
  globalRole,
  globalRoleBinding,
  principal,
  project,
  projectRoleTemplateBinding,
  roleTemplate,
  token,
  user,
  setting,
} from '../../../src/schema/types/index.js';
import type { projectSecret } from '../../../src/schema/types/project-secret.js';
import type { clusterCondition } from '../../../src/schema/types/cluster.js';
import type { policyRule } from '../../../src/schema/types/common.js';
import type { containerResourceLimit, resourceQuotaLimit } from '../../../src/schema/types/project.js';

/** What every rendered resource has. */
export type V3Resource = ResourceOf<{ fields: Record<never, never> }>;

export interface V3Collection<T> {
  type: 'collection';
  resourceType: string;
  data: T[];
  createTypes?: Record<string, string>;
  actions?: Record<string, string>;
  pagination?: { limit?: number; next?: string; partial?: boolean };
  revision?: string;
}

export type Condition = ValuesOf<typeof clusterCondition.fields>;
export type Cluster = ResourceOf<typeof cluster>;
export type ClusterRegistrationToken = ResourceOf<typeof clusterRegistrationToken>;
export type QuotaLimit = ValuesOf<typeof resourceQuotaLimit.fields>;
export type ContainerLimit = ValuesOf<typeof containerResourceLimit.fields>;
export type Project = ResourceOf<typeof project>;
export type ClusterRoleTemplateBinding = ResourceOf<typeof clusterRoleTemplateBinding>;
export type ProjectRoleTemplateBinding = ResourceOf<typeof projectRoleTemplateBinding>;
/** What a cluster and a project membership share. */
export type RoleBinding = ClusterRoleTemplateBinding | ProjectRoleTemplateBinding;
export type PolicyRule = ValuesOf<typeof policyRule.fields>;
export type RoleTemplate = ResourceOf<typeof roleTemplate>;
export type GlobalRole = ResourceOf<typeof globalRole>;
export type GlobalRoleBinding = ResourceOf<typeof globalRoleBinding>;
export type User = ResourceOf<typeof user>;
export type Token = ResourceOf<typeof token>;
export type Principal = ResourceOf<typeof principal>;
export type Setting = ResourceOf<typeof setting>;
export type ProjectSecret = ResourceOf<typeof projectSecret>;

/** Every page of a v3 collection (the server pages at `limit`). */
export async function listAllPages<T>(
  get: (path: string) => Promise<V3Collection<T>>,
  path: string,
): Promise<V3Collection<T>> {
  const first = await get(path);
  const data = [...first.data];
  let next = first.pagination?.next;
  while (next) {
    const url = new URL(next);
    const page = await get(url.pathname + url.search);
    data.push(...page.data);
    next = page.pagination?.next;
  }
  return { ...first, data };
}

export type Catalog = ResourceOf<typeof import('../../../src/schema/types/catalog.js').catalog>;
export type Template = ResourceOf<typeof import('../../../src/schema/types/catalog.js').template>;
export type TemplateVersion = ResourceOf<typeof import('../../../src/schema/types/catalog.js').templateVersion>;
export type App = ResourceOf<typeof import('../../../src/schema/types/catalog.js').app>;
export type AppRevision = ResourceOf<typeof import('../../../src/schema/types/catalog.js').appRevision>;

type Alerting = typeof import('../../../src/schema/types/alerting.js');
export type Notifier = ResourceOf<Alerting['notifier']>;
export type ClusterAlertGroup = ResourceOf<Alerting['clusterAlertGroup']>;
export type ClusterAlertRule = ResourceOf<Alerting['clusterAlertRule']>;
export type ProjectAlertRule = ResourceOf<Alerting['projectAlertRule']>;
