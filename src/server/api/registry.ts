import type { TypeDef } from '../../schema/schema.js';
import { TYPES } from '../../schema/types/index.js';
import type { TypeBehavior } from './context.js';

/** A type the server serves: its one declaration and what the server does beyond generic CRUD. */
export interface ServedType {
  type: TypeDef;
  behavior: TypeBehavior;
}

/** Pairs a declaration with its behaviour (none: the generic create/read/update/delete). */
export function serve(type: TypeDef, behavior: TypeBehavior = {}): ServedType {
  return { type, behavior };
}

export interface V3Registry {
  /** In the order /v3 lists them. */
  types: TypeDef[];
  behaviors: Record<string, TypeBehavior>;
}

/**
 * The server's registry: each type once, with its behaviour beside it. It must serve exactly the
 * declared types (src/schema/types) — the CLI and the UI read that list, so a type registered here
 * but not declared there, or the reverse, would be an API half the clients cannot see.
 */
export function v3Registry(served: ServedType[], declared: readonly TypeDef[] = TYPES): V3Registry {
  const ids = served.map((s) => s.type.id);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate) throw new Error(`type "${duplicate}" is registered twice`);
  const missing = declared.filter((t) => !ids.includes(t.id)).map((t) => t.id);
  const extra = ids.filter((id) => !declared.some((t) => t.id === id));
  if (missing.length || extra.length)
    throw new Error(
      `the served types differ from src/schema/types: ${[
        missing.length ? `not served: ${missing.join(', ')}` : '',
        extra.length ? `not declared: ${extra.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ')}`,
    );
  const byId = new Map(served.map((s) => [s.type.id, s]));
  return {
    types: declared.map((t) => byId.get(t.id)!.type),
    behaviors: Object.fromEntries(served.map((s) => [s.type.id, s.behavior])),
  };
}
