import type { Store } from '../../store/types.js';
import { rolesByScope } from '../clusters/memberships.js';

export const PROJECT_ID_LABEL = 'cattle.io/projectId';

/** The project role templates a user is bound to, by full project id (c-xxxxx:p-xxxxx). */
export const projectMemberships = (store: Store, userId: string) =>
  rolesByScope(store, 'projectRoleTemplateBinding', 'projectId', userId);

export const clusterOfProject = (projectId: string) => projectId.split(':')[0]!;
export const shortProjectId = (projectId: string) => projectId.split(':')[1] ?? projectId;
