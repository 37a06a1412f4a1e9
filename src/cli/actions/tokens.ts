import { bodyFromFlags, createFlags } from '../schema-flags.js';
import { TOKEN_CREATE_OMIT } from '../tokens.js';
import { token as tokenType } from '../../schema/types/token.js';
import { UsageError } from '../usage-error.js';
import { TOKEN_COLUMNS, listOut, objectOut, resolveCluster, say, session, type Opts, type Row } from './common.js';

function parseDuration(text: string): number {
  const m = /^(\d+)(s|m|h|d)?$/.exec(text.trim());
  if (!m) throw new UsageError(`--ttl "${text}" is not a duration like 90m, 12h or 30d`);
  const unit = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[(m[2] ?? 'm') as 's' | 'm' | 'h' | 'd'];
  return Number(m[1]) * unit;
}

export async function tokensLs(_a: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  listOut(await s.conn.list<Row>(tokenType), TOKEN_COLUMNS, opts);
}

export async function tokensCreate(_a: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const body: Row = {};
  if (opts.ttl !== undefined) body.ttl = parseDuration(String(opts.ttl));
  Object.assign(body, bodyFromFlags(createFlags(tokenType, TOKEN_CREATE_OMIT), opts));
  if (opts.cluster) body.clusterId = (await resolveCluster(s.conn, String(opts.cluster))).id;
  const t = await s.conn.create<Row>(tokenType, body);
  if (opts.output === 'table') {
    say(`Created ${t.id}, expires ${t.expiresAt ?? 'never'}. Its secret is shown only now:`);
    process.stdout.write(`${t.token}\n`);
  } else objectOut(t, TOKEN_COLUMNS, opts);
}

export async function tokensRm([id]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  await s.conn.remove(tokenType, String(id));
  say(`Deleted token ${id}.`);
}
