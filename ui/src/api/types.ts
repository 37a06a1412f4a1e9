/** The v3 shapes the UI reads. Only the fields used; the server renders more. */

export interface V3Resource {
  id: string;
  type: string;
  links: Record<string, string>;
  actions: Record<string, string>;
  state: string;
  transitioning?: string;
  transitioningMessage?: string;
  created: string;
  creatorId?: string | null;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
}

export interface V3Collection<T> {
  type: 'collection';
  resourceType: string;
  data: T[];
  createTypes?: Record<string, string>;
  actions?: Record<string, string>;
  pagination?: { limit?: number; next?: string; partial?: boolean };
  revision?: string;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastUpdateTime?: string;
}

export interface Cluster extends V3Resource {
  name: string;
  description?: string;
  driver: 'imported' | 'direct' | 'local';
  internal?: boolean;
  conditions?: Condition[] | null;
  version?: { gitVersion?: string } | null;
  apiEndpoint?: string | null;
  nodeCount?: number | null;
  capacity?: Record<string, string> | null;
  allocatable?: Record<string, string> | null;
  /** What the unfinished pods request (and `pods`, their count), and their limits. */
  requested?: Record<string, string> | null;
  limits?: Record<string, string> | null;
}

export interface ClusterRegistrationToken extends V3Resource {
  clusterId: string;
  token: string;
  manifestUrl: string;
  command: string;
  insecureCommand: string;
}

export type QuotaLimit = Partial<
  Record<
    | 'pods'
    | 'services'
    | 'replicationControllers'
    | 'secrets'
    | 'configMaps'
    | 'persistentVolumeClaims'
    | 'servicesNodePorts'
    | 'servicesLoadBalancers'
    | 'requestsCpu'
    | 'requestsMemory'
    | 'requestsStorage'
    | 'limitsCpu'
    | 'limitsMemory',
    string
  >
>;

export interface ContainerLimit {
  requestsCpu?: string;
  requestsMemory?: string;
  limitsCpu?: string;
  limitsMemory?: string;
}

export interface Project extends V3Resource {
  name: string;
  description?: string;
  clusterId: string;
  resourceQuota?: { limit?: QuotaLimit; usedLimit?: QuotaLimit } | null;
  namespaceDefaultResourceQuota?: { limit?: QuotaLimit } | null;
  containerDefaultResourceLimit?: ContainerLimit | null;
}

export interface RoleBinding extends V3Resource {
  roleTemplateId: string;
  userId?: string | null;
  userPrincipalId?: string | null;
  groupPrincipalId?: string | null;
}
export interface ClusterRoleTemplateBinding extends RoleBinding {
  clusterId: string;
}
export interface ProjectRoleTemplateBinding extends RoleBinding {
  projectId: string;
}

export interface PolicyRule {
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
  verbs: string[];
}

export interface RoleTemplate extends V3Resource {
  name: string;
  description?: string;
  context: 'cluster' | 'project';
  rules: PolicyRule[];
  roleTemplateIds: string[];
  builtin: boolean;
  hidden?: boolean;
  locked?: boolean;
}

export interface GlobalRole extends V3Resource {
  name: string;
  description?: string;
  rules: PolicyRule[];
  newUserDefault: boolean;
  builtin: boolean;
}

export interface GlobalRoleBinding extends V3Resource {
  globalRoleId: string;
  userId?: string | null;
  groupPrincipalId?: string | null;
}

export interface User extends V3Resource {
  username: string;
  name?: string;
  description?: string;
  enabled: boolean;
  mustChangePassword: boolean;
  principalIds?: string[];
  me?: boolean;
}

export interface Token extends V3Resource {
  name: string;
  description?: string;
  ttl: number;
  clusterId?: string | null;
  expiresAt?: string | null;
  expired?: boolean;
  current?: boolean;
  isDerived?: boolean;
  lastUsedAt?: string | null;
  userId: string;
  /** Only in the response that created it. */
  token?: string;
}

export interface Principal extends V3Resource {
  name: string;
  loginName: string;
  principalType: 'user' | 'group';
  provider: string;
  me: boolean;
}

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
