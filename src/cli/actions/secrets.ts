import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { projectSecret } from '../../schema/types/project-secret.js';
import { askSecret, interactive, readStdin } from '../prompt.js';
import { UsageError } from '../usage-error.js';
import { columnsOf, listOut, objectOut, projectFor, say, session, type Opts, type Row } from './common.js';

const COLUMNS = columnsOf(projectSecret.columns);

async function scope(opts: Opts) {
  const s = await session(opts);
  const project = await projectFor(s, opts);
  return { s, projectId: String(project.id) };
}

/** A secret of the project by id (ps-…) or by name. */
async function find(opts: Opts, ref: string) {
  const { s, projectId } = await scope(opts);
  const all = await s.conn.list<Row>(projectSecret, { projectId });
  const hit = all.find((x) => x.id === ref) ?? all.find((x) => x.name === ref);
  if (!hit) throw new Error(`project ${projectId} has no secret "${ref}": see corral secrets ls`);
  return { s, secret: hit };
}

export async function secretsLs(_a: unknown[], opts: Opts): Promise<void> {
  const { s, projectId } = await scope(opts);
  listOut(await s.conn.list<Row>(projectSecret, { projectId }), COLUMNS, opts);
}

export async function secretsGet([ref]: unknown[], opts: Opts): Promise<void> {
  const { secret } = await find(opts, String(ref));
  objectOut(secret, COLUMNS, opts);
}

export async function secretsRm([ref]: unknown[], opts: Opts): Promise<void> {
  const { s, secret } = await find(opts, String(ref));
  await s.conn.remove(projectSecret, String(secret.id));
  say(`Deleted secret ${String(secret.name)} (${String(secret.id)}).`);
}

async function literalData(opts: Opts): Promise<Record<string, string>> {
  const data: Record<string, string> = {};
  for (const l of (opts.fromLiteral as string[] | undefined) ?? []) {
    const eq = l.indexOf('=');
    if (eq < 1) throw new UsageError(`--from-literal takes key=value, got "${l}"`);
    data[l.slice(0, eq)] = l.slice(eq + 1);
  }
  for (const f of (opts.fromFile as string[] | undefined) ?? []) {
    const eq = f.indexOf('=');
    const [key, path] = eq > 0 ? [f.slice(0, eq), f.slice(eq + 1)] : [basename(f), f];
    data[key] = await readFile(path, 'utf8').catch((err: Error) => {
      throw new UsageError(`--from-file ${f}: ${err.message}`);
    });
  }
  if (!Object.keys(data).length) throw new UsageError('give at least one --from-literal key=value or --from-file');
  return data;
}

async function registryPassword(opts: Opts): Promise<string> {
  if (opts.passwordStdin) return readStdin();
  if (!interactive()) throw new UsageError('no terminal to ask the password on: pass it with --password-stdin');
  return askSecret(`Password for ${String(opts.username)} at ${String(opts.registry)}: `);
}

const readPem = (flag: string, path: unknown) =>
  readFile(String(path), 'utf8').catch((err: Error) => {
    throw new UsageError(`${flag} ${String(path)}: ${err.message}`);
  });

/** Which options give the values of each kind (the others are refused for it). */
const VALUE_OPTIONS: Record<string, string[]> = {
  secret: ['fromLiteral', 'fromFile'],
  dockerCredential: ['registry', 'username', 'passwordStdin'],
  certificate: ['cert', 'key'],
};
const flagOf = (o: string) => `--${o.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`;

/** The value fields of `kind` from the options; on update, only those given (the rest are kept). */
async function valuesFrom(kind: string, opts: Opts, update: boolean): Promise<Row> {
  for (const [k, names] of Object.entries(VALUE_OPTIONS))
    for (const o of names)
      if (k !== kind && opts[o] !== undefined) throw new UsageError(`${flagOf(o)} is not for a ${kind}`);
  const body: Row = {};
  if (kind === 'secret' && (!update || opts.fromLiteral || opts.fromFile)) body.data = await literalData(opts);
  if (kind === 'dockerCredential' && (!update || opts.registry !== undefined)) {
    if (opts.registry === undefined || opts.username === undefined)
      throw new UsageError('a registry credential needs --registry <host> and --username <user>');
    body.registries = {
      [String(opts.registry)]: { username: String(opts.username), password: await registryPassword(opts) },
    };
  }
  if (kind === 'certificate') {
    if (opts.cert !== undefined) body.certs = await readPem('--cert', opts.cert);
    if (opts.key !== undefined) body.key = await readPem('--key', opts.key);
  }
  if (opts.description !== undefined) body.description = opts.description;
  return body;
}

export async function secretsCreate([kind, name]: unknown[], opts: Opts): Promise<void> {
  const body = { name, kind, ...(await valuesFrom(String(kind), opts, false)) };
  const { s, projectId } = await scope(opts);
  objectOut(await s.conn.create<Row>(projectSecret, { ...body, projectId }), COLUMNS, opts);
}

export async function secretsUpdate([ref]: unknown[], opts: Opts): Promise<void> {
  const { s, secret } = await find(opts, String(ref));
  const body = await valuesFrom(String(secret.kind), opts, true);
  if (!Object.keys(body).length)
    throw new UsageError(
      `nothing to change: give --description or new values (${VALUE_OPTIONS[String(secret.kind)]!.map(flagOf).join(', ')})`,
    );
  objectOut(await s.conn.update<Row>(projectSecret, String(secret.id), body), COLUMNS, opts);
}
