import type { Store, StoredObject } from './types.js';

/** Every object of a type (optionally matching a label selector), read page by page. */
export async function listAll(store: Store, type: string, labelSelector?: string): Promise<StoredObject[]> {
  const out: StoredObject[] = [];
  let cont: string | undefined;
  do {
    const page = await store.list(type, { labelSelector, limit: 1000, continue: cont });
    out.push(...page.items);
    cont = page.continue;
  } while (cont);
  return out;
}
