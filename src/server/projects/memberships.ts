import { listAll } from '../../store/list-all.js';
import type { Store } from '../../store/types.js';
import { USER_ID_LABEL } from '../authz/user-rules.js';

export const PROJECT_ID_LABEL = 'cattle.io/projectId';

/** The project role templates a user is bound to, by full project id (c-xxxxx:p-xxxxx). */
export async function projectMemberships(store: Store, userId: string): Promise<Map<string, Set<string>>> {
  const bindings = await listAll(store, 'projectRoleTemplateBinding', `${USER_ID_LABEL}=${userId}`);
  const out = new Map<string, Set<string>>();
  for (const b of bindings) {
    const projectId = String(b.spec.projectId);
    if (!out.has(projectId)) out.set(projectId, new Set());
    out.get(projectId)!.add(String(b.spec.roleTemplateId));
  }
  return out;
}

export const clusterOfProject = (projectId: string) => projectId.split(':')[0]!;
export const shortProjectId = (projectId: string) => projectId.split(':')[1] ?? projectId;
