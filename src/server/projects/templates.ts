import { listAll } from '../../store/list-all.js';
import type { Store, StoredObject } from '../../store/types.js';
import type { PolicyRule } from '../authz/policy-rule.js';

export interface TemplateInfo {
  id: string;
  context: 'cluster' | 'project';
  external: boolean;
  locked: boolean;
  rules: PolicyRule[];
  roleTemplateIds: string[];
}

export async function loadTemplates(store: Store): Promise<Map<string, TemplateInfo>> {
  return templateInfos(await listAll(store, 'roleTemplate'));
}

export function templateInfos(all: StoredObject[]): Map<string, TemplateInfo> {
  return new Map(
    all.map((t) => [
      t.id,
      {
        id: t.id,
        context: t.spec.context as TemplateInfo['context'],
        external: t.spec.external === true,
        locked: t.spec.locked === true,
        rules: (t.spec.rules as PolicyRule[]) ?? [],
        roleTemplateIds: (t.spec.roleTemplateIds as string[]) ?? [],
      },
    ]),
  );
}

/**
 * Kubernetes' user-facing roles contain one another (admin ⊇ edit ⊇ view); holding one means
 * holding the ones it contains, though no template inherits them explicitly.
 */
const EXTERNAL_CONTAINS: Record<string, string[]> = {
  'cluster-admin': ['admin', 'edit', 'view'],
  admin: ['edit', 'view'],
  edit: ['view'],
};

/** What someone holding these templates holds: their closure plus the Kubernetes roles it contains. */
export function heldClosure(ids: Iterable<string>, templates: Map<string, TemplateInfo>): Set<string> {
  const held = closure(ids, templates);
  for (const id of [...held]) for (const contained of EXTERNAL_CONTAINS[id] ?? []) held.add(contained);
  return held;
}

/** A template and everything it inherits, each once (cycles end the walk). */
export function closure(ids: Iterable<string>, templates: Map<string, TemplateInfo>): Set<string> {
  const seen = new Set<string>();
  const walk = (id: string) => {
    if (seen.has(id) || !templates.has(id)) return;
    seen.add(id);
    for (const child of templates.get(id)!.roleTemplateIds) walk(child);
  };
  for (const id of ids) walk(id);
  return seen;
}

export function ownRules(ids: Iterable<string>, templates: Map<string, TemplateInfo>): PolicyRule[] {
  return [...ids].flatMap((id) => templates.get(id)?.rules ?? []);
}
