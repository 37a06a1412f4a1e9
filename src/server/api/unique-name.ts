import { listAll } from '../../store/list-all.js';
import type { Store } from '../../store/types.js';
import { ApiError } from '../http/errors.js';

/**
 * Refuses a display name (`spec.name`) already used by another object of the type among those
 * the selector picks (all clusters; the projects of one cluster), as Rancher does: two clusters
 * or two projects of a cluster with one name cannot be told apart in a picker or the CLI.
 * Checked by listing, so two replicas creating the same name in the same instant can both pass.
 */
export async function assertUniqueName(
  store: Store,
  type: string,
  name: unknown,
  where: { labelSelector?: string; exceptId?: string; scope: string },
): Promise<void> {
  if (typeof name !== 'string') return;
  const wanted = name.trim().toLowerCase();
  const taken = (await listAll(store, type, where.labelSelector)).find(
    (o) =>
      o.id !== where.exceptId &&
      String(o.spec.name ?? '')
        .trim()
        .toLowerCase() === wanted,
  );
  if (taken) {
    throw new ApiError(
      'NotUnique',
      `${where.scope} already has a ${type} named "${name}": choose another name`,
      'name',
    );
  }
}
