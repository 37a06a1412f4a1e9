import { TYPES } from '../../schema/types/index.js';
import type { TypeDef } from '../../schema/schema.js';
import { bodyFromFlags, createFlags } from '../schema-flags.js';
import { columnsOf, listOut, objectOut, say, session, type Opts, type Row } from './common.js';

/** The generic verbs of resource.ts: the type comes bound as the first argument. */

function typeOf(id: unknown): TypeDef {
  const t = TYPES.find((x) => x.id === id);
  if (!t) throw new Error(`no v3 type ${String(id)}`);
  return t;
}

export async function resourceLs([typeId]: unknown[], opts: Opts): Promise<void> {
  const type = typeOf(typeId);
  const s = await session(opts);
  listOut(await s.conn.list<Row>(type), columnsOf(type.columns), opts);
}

export async function resourceGet([typeId, id]: unknown[], opts: Opts): Promise<void> {
  const type = typeOf(typeId);
  const s = await session(opts);
  objectOut(await s.conn.get<Row>(type, String(id)), columnsOf(type.columns), opts);
}

export async function resourceCreate([typeId]: unknown[], opts: Opts): Promise<void> {
  const type = typeOf(typeId);
  const s = await session(opts);
  const body = bodyFromFlags(createFlags(type), opts);
  objectOut(await s.conn.create<Row>(type, body), columnsOf(type.columns), opts);
}

export async function resourceRm([typeId, id]: unknown[], opts: Opts): Promise<void> {
  const type = typeOf(typeId);
  const s = await session(opts);
  await s.conn.remove(type, String(id));
  say(`Deleted ${type.id} ${String(id)}.`);
}
