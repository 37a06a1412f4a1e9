import { spawn } from 'node:child_process';
import { mkdtemp, open, readFile, rmdir, unlink, writeFile, chmod, mkdir } from 'node:fs/promises';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { cluster as clusterType } from '../schema/types/cluster.js';
import { project as projectType, projectRoleTemplateBinding as prtbType } from '../schema/types/project.js';
import { token as tokenType } from '../schema/types/token.js';
import { user as userType } from '../schema/types/user.js';
import { V3Client } from '../client/v3-client.js';
import { clientOf, describeError, fetchCa } from './client.js';
import { configPath, currentServer, loadConfig, saveConfig, type CliConfig, type ServerEntry } from './config.js';
import { printListing, renderTable, yaml, type Column, type OutputFormat } from './output.js';
import { ask, askSecret, interactive, readStdin } from './prompt.js';
import { UsageError } from './usage-error.js';
import { kubeconfigObject } from '../kube/kubeconfig.js';

type Row = Record<string, unknown>;
type Opts = Record<string, unknown>;

const say = (m: string) => process.stderr.write(`${m}\n`);

// ---------- rendering ----------

function age(iso: unknown): string {
  if (typeof iso !== 'string') return '';
  const s = Math.max(0, Math.floor((Date.now() - Date.parse(iso)) / 1000));
  if (s < 120) return `${s}s`;
  if (s < 7200) return `${Math.floor(s / 60)}m`;
  if (s < 172800) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

function cell(v: unknown): string | number | undefined {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string' || typeof v === 'number') return v;
  if (typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** Table columns from a type's schema `columns`; `created` shows as an age, as kubectl does. */
function columnsOf(names: string[]): Column<Row>[] {
  return names.map((n) =>
    n === 'created'
      ? { header: 'age', value: (r: Row) => age(r.created) }
      : { header: n, value: (r: Row) => cell(r[n]) },
  );
}

const CLUSTER_COLUMNS = columnsOf(clusterType.columns);
const PROJECT_COLUMNS = columnsOf(projectType.columns);
const PRTB_COLUMNS = columnsOf(prtbType.columns);
const USER_COLUMNS = columnsOf(userType.columns);
const TOKEN_COLUMNS = columnsOf(tokenType.columns);
/** Namespaces are served by a handler of their own, without a schema; Rancher's columns. */
const NAMESPACE_COLUMNS = columnsOf(['name', 'projectId', 'state', 'created']);

function clean(obj: Row): Row {
  const { links: _l, actions: _a, ...rest } = obj;
  return rest;
}

function listOut(rows: Row[], columns: Column<Row>[], opts: Opts) {
  printListing(rows.map(clean), columns, { output: opts.output as OutputFormat, quiet: Boolean(opts.quiet) });
}

function objectOut(obj: Row, columns: Column<Row>[], opts: Opts) {
  const format = (opts.output as OutputFormat | undefined) ?? 'table';
  if (format === 'json') process.stdout.write(JSON.stringify(clean(obj), null, 2) + '\n');
  else if (format === 'yaml') process.stdout.write(yaml().stringify(clean(obj)));
  else process.stdout.write(renderTable([obj], columns));
}

// ---------- session and lookups ----------

interface Session {
  config: CliConfig;
  server: ServerEntry;
  conn: V3Client;
}

async function session(opts: Opts): Promise<Session> {
  const config = await loadConfig();
  const server = currentServer(config, opts.server as string | undefined);
  return { config, server, conn: clientOf(server) };
}

async function resolveCluster(conn: V3Client, ref: string): Promise<Row> {
  if (/^c-[a-z0-9]+$/.test(ref) || ref === 'local') {
    const byId = await conn.find<Row>('clusters', ref);
    if (byId) return byId;
  }
  const byName = await conn.list<Row>(clusterType, { name: ref });
  if (byName.length === 1) return byName[0]!;
  if (byName.length > 1) throw new Error(`several clusters are named "${ref}": use the id (corral clusters ls)`);
  throw new Error(`unknown cluster "${ref}": see corral clusters ls for the clusters you can use`);
}

function clusterRef(s: Session, opts: Opts, arg?: unknown): string {
  const ref = (arg as string | undefined) ?? (opts.cluster as string | undefined) ?? s.server.cluster;
  if (!ref) throw new UsageError('no cluster given and no current cluster: run corral context switch <cluster>');
  return ref;
}

async function resolveProject(conn: V3Client, clusterId: string, ref: string): Promise<Row> {
  const id = /^c-[a-z0-9]+:p-[a-z0-9]+$|^local:p-[a-z0-9]+$/.test(ref)
    ? ref
    : /^p-[a-z0-9]+$/.test(ref)
      ? `${clusterId}:${ref}`
      : undefined;
  if (id) {
    const byId = await conn.find<Row>('projects', id);
    if (byId) return byId;
  }
  const byName = (await conn.list<Row>(projectType, { clusterId })).filter((p) => p.name === ref);
  if (byName.length === 1) return byName[0]!;
  if (byName.length > 1) throw new Error(`several projects are named "${ref}": use the id (corral projects ls)`);
  throw new Error(`unknown project "${ref}" in cluster ${clusterId}: see corral projects ls`);
}

async function projectFor(s: Session, opts: Opts): Promise<Row> {
  const clusterId = String((await resolveCluster(s.conn, clusterRef(s, opts))).id);
  const ref = (opts.project as string | undefined) ?? (clusterId === s.server.cluster ? s.server.project : undefined);
  if (!ref)
    throw new UsageError('no project given and no current project: run corral context switch <cluster>/<project>');
  return resolveProject(s.conn, clusterId, ref);
}

async function resolveUserId(conn: V3Client, ref: string): Promise<string> {
  if (/^u-[a-z0-9]+$/.test(ref) || ref === 'user-admin') return ref;
  const found = await conn.list<Row>(userType, { username: ref });
  if (!found.length) throw new Error(`unknown user "${ref}": see corral users ls (or give the user id u-xxxxx)`);
  return String(found[0]!.id);
}

// ---------- login / logout ----------

function normalizeUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw.includes('://') ? raw : `https://${raw}`);
  } catch {
    throw new UsageError(`"${raw}" is not a URL: give the server as https://host[:port]`);
  }
  if (url.protocol !== 'https:')
    throw new UsageError(`"${raw}" is not an https URL: Corral servers speak HTTPS only (https://host[:port])`);
  if (url.pathname !== '/' || url.search || url.hash)
    throw new UsageError(`"${raw}" has a path: give only https://host[:port]`);
  return url.origin;
}

async function chooseCa(url: string, opts: Opts): Promise<{ cacert?: string; skipVerify?: boolean }> {
  if (opts.skipVerify) {
    say('warning: --skip-verify: the server certificate is not checked; anyone on the path can read your token');
    return { skipVerify: true };
  }
  if (opts.cacert) {
    const file = String(opts.cacert);
    const pem = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
      throw new Error(`cannot read --cacert ${file}: ${e.code ?? e.message}`);
    });
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new Error(`--cacert ${file} holds no PEM certificate`);
    return { cacert: pem };
  }
  const ca = await fetchCa(url);
  if (!ca) return {}; // a public CA: the system's trust store verifies it
  const want = (opts.caChecksum as string | undefined)?.toLowerCase().replace(/^sha256:/, '');
  if (want) {
    if (want !== ca.checksum) {
      throw new Error(
        `the CA served by ${url} has SHA-256 ${ca.checksum}, not the --ca-checksum given: ` +
          'someone may be in the middle, or the checksum is of another server; check it on the server',
      );
    }
    return { cacert: ca.pem };
  }
  if (opts.yes || !interactive()) {
    throw new Error(
      `cannot trust ${url} on first use without asking: pass --ca-checksum ${ca.checksum.slice(0, 8)}… ` +
        '(the SHA-256 the server printed at first start), or --cacert <file>',
    );
  }
  say(`The server ${url} presents a CA that is not yet trusted.`);
  say(`SHA-256 fingerprint of its CA (${url}/cacerts): ${ca.checksum}`);
  say('Compare it with the one the server printed at first start.');
  const answer = await ask('Trust this CA? [y/N] ');
  if (!/^y(es)?$/i.test(answer)) throw new Error('CA not trusted: nothing saved');
  return { cacert: ca.pem };
}

export async function login([rawUrl]: unknown[], opts: Opts): Promise<void> {
  const url = normalizeUrl(String(rawUrl));
  if (opts.token && opts.username) throw new UsageError('give either --token or --username, not both');
  if (!opts.token && !opts.username) throw new UsageError('give --token <token> or --username <name>');
  if (opts.passwordStdin && !opts.username) throw new UsageError('--password-stdin goes with --username');
  if (opts.token && !/^token-[a-z0-9]+:\S+$/.test(String(opts.token)))
    throw new UsageError('a token looks like token-xxxxx:secret');
  if (opts.username && !opts.passwordStdin && !process.stdin.isTTY)
    throw new UsageError('no terminal to ask the password on: use --password-stdin');
  const trust = await chooseCa(url, opts);
  const conn = new V3Client({ url, ca: trust.cacert, insecure: trust.skipVerify });
  let token: string;
  let kind: ServerEntry['tokenKind'];
  let mustChange = false;
  if (opts.username) {
    const password = opts.passwordStdin ? await readStdin() : await askSecret(`Password for ${opts.username}: `);
    if (!password) throw new UsageError('empty password');
    const r = await conn.call<Row>('POST', '/v3-public/localProviders/local?action=login', {
      username: opts.username,
      password,
      description: 'corral CLI login',
    });
    token = String(r.token);
    kind = 'session';
    mustChange = r.mustChangePassword === true;
  } else {
    token = String(opts.token);
    kind = 'apikey';
  }
  const authed = conn.withToken(token);
  const tokenId = token.split(':')[0]!;
  const me = await authed.get<Row>('tokens', tokenId);
  if (me.isDerived === false) kind = 'session';
  const userId = String(me.userId ?? '');
  const user = userId ? await authed.find<Row>('users', userId) : undefined;
  const config = await loadConfig();
  const name = (opts.name as string | undefined) ?? new URL(url).host;
  const old = config.servers.find((s) => s.name === name);
  const entry: ServerEntry = {
    name,
    url,
    ...trust,
    token,
    tokenKind: kind,
    userId,
    username: user ? String(user.username) : (opts.username as string | undefined),
    ...(old && old.url === url ? { cluster: old.cluster, project: old.project } : {}),
  };
  config.servers = [...config.servers.filter((s) => s.name !== name), entry];
  config.current = name;
  await saveConfig(config);
  say(`Logged in to ${url} as ${entry.username ?? userId}; saved as "${name}" in ${configPath()}.`);
  if (mustChange || user?.mustChangePassword === true)
    say('You must choose a new password before doing anything else: corral users passwd');
  if (!entry.cluster) say('Next: corral clusters ls, then corral context switch <cluster>');
}

export async function logout([which]: unknown[], opts: Opts): Promise<void> {
  const config = await loadConfig();
  const server = currentServer(config, (which as string | undefined) ?? (opts.server as string | undefined));
  if (server.tokenKind === 'session') {
    try {
      await clientOf(server).action('tokens', undefined, 'logout');
    } catch (err) {
      // An expired session or an unreachable server must not keep the token in the config.
      say(`warning: the server did not end the session (${describeError(err)}); forgetting it anyway`);
    }
  }
  config.servers = config.servers.filter((s) => s !== server);
  if (config.current === server.name) config.current = config.servers[0]?.name;
  await saveConfig(config);
  say(`Logged out of ${server.url} ("${server.name}").`);
}

// ---------- context ----------

interface ContextRow extends Row {
  current: string;
  context: string;
  cluster: string;
  project: string;
  clusterId: string;
  projectId: string;
}

async function contexts(s: Session): Promise<ContextRow[]> {
  const [clusters, projects] = await Promise.all([s.conn.list<Row>(clusterType), s.conn.list<Row>(projectType)]);
  const rows: ContextRow[] = [];
  for (const c of clusters) {
    const mark = (p?: Row) =>
      s.server.cluster === c.id && (p ? s.server.project === p.id : !s.server.project) ? '*' : '';
    rows.push({
      current: mark(),
      context: String(c.name),
      cluster: String(c.name),
      project: '',
      clusterId: String(c.id),
      projectId: '',
    });
    for (const p of projects.filter((x) => x.clusterId === c.id)) {
      rows.push({
        current: mark(p),
        context: `${c.name}/${p.name}`,
        cluster: String(c.name),
        project: String(p.name),
        clusterId: String(c.id),
        projectId: String(p.id),
      });
    }
  }
  return rows;
}

const CONTEXT_COLUMNS: Column<Row>[] = [
  { header: 'context', value: (r) => cell(r.context) },
  { header: 'current', value: (r) => cell(r.current) },
  { header: 'cluster id', value: (r) => cell(r.clusterId) },
  { header: 'project id', value: (r) => cell(r.projectId) },
];

export async function contextLs(_args: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  printListing(await contexts(s), CONTEXT_COLUMNS, { output: opts.output as OutputFormat, quiet: Boolean(opts.quiet) });
}

export async function contextSwitch([target]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  let clusterId: string;
  let projectId: string | undefined;
  let label: string;
  if (target === undefined) {
    if (!process.stdin.isTTY)
      throw new UsageError(
        'no context given and no terminal to choose on: corral context switch <cluster>[/<project>]',
      );
    const rows = await contexts(s);
    if (!rows.length) throw new Error('no clusters to switch to: import one with corral clusters import <name>');
    rows.forEach((r, i) => say(`${String(i + 1).padStart(3)}) ${r.context}${r.current ? '   (current)' : ''}`));
    const answer = await ask(`Context [1-${rows.length}]: `);
    const n = Number(answer);
    const row = Number.isInteger(n) ? rows[n - 1] : undefined;
    if (!row) throw new UsageError(`"${answer}" is not a number from 1 to ${rows.length}`);
    clusterId = row.clusterId;
    projectId = row.projectId || undefined;
    label = row.context;
  } else {
    const text = String(target);
    // Project ids contain a colon (c-xxxxx:p-yyyyy): accept that form too.
    const full = /^(c-[a-z0-9]+|local):(p-[a-z0-9]+)$/.exec(text);
    const [cRef, pRef] = full ? [full[1]!, full[0]] : (text.split('/', 2) as [string, string | undefined]);
    const cluster = await resolveCluster(s.conn, cRef);
    clusterId = String(cluster.id);
    label = String(cluster.name);
    if (pRef) {
      const p = await resolveProject(s.conn, clusterId, pRef);
      projectId = String(p.id);
      label += `/${p.name}`;
    }
  }
  const server = s.config.servers.find((x) => x.name === s.server.name)!;
  server.cluster = clusterId;
  server.project = projectId;
  await saveConfig(s.config);
  say(`Switched to ${label} (${projectId ?? clusterId}).`);
}

export async function contextCurrent(_args: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const row: Row = {
    server: s.server.name,
    url: s.server.url,
    user: s.server.username ?? s.server.userId ?? '',
    clusterId: s.server.cluster ?? '',
    projectId: s.server.project ?? '',
  };
  if (s.server.cluster) {
    const c = await s.conn.find<Row>('clusters', s.server.cluster);
    row.cluster = c?.name ?? '(gone)';
  }
  if (s.server.project) {
    const p = await s.conn.find<Row>('projects', s.server.project);
    row.project = p?.name ?? '(gone)';
  }
  const cols: Column<Row>[] = ['server', 'user', 'cluster', 'project', 'clusterId', 'projectId'].map((k) => ({
    header: k,
    value: (r: Row) => cell(r[k]),
  }));
  objectOut(row, cols, opts);
}

// ---------- clusters ----------

export async function clustersLs(_a: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  listOut(await s.conn.list<Row>(clusterType), CLUSTER_COLUMNS, opts);
}

export async function clustersGet([ref]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  objectOut(await resolveCluster(s.conn, String(ref)), CLUSTER_COLUMNS, opts);
}

export async function clustersCreate([name]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const body: Row = { name };
  if (opts.description) body.description = opts.description;
  if (!opts.kubeconfig) return clustersImport([name], opts);
  const file = String(opts.kubeconfig);
  const kubeConfig = await readFile(file, 'utf8').catch((e: NodeJS.ErrnoException) => {
    throw new Error(`cannot read --kubeconfig ${file}: ${e.code ?? e.message}`);
  });
  body.importedConfig = { kubeConfig };
  const created = await s.conn.create<Row>(clusterType, body);
  objectOut(created, CLUSTER_COLUMNS, opts);
}

export async function clustersImport([name]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const body: Row = { name };
  if (opts.description) body.description = opts.description;
  const created = await s.conn.create<Row>(clusterType, body);
  const id = String(created.id);
  let reg: Row | undefined;
  for (let i = 0; i < 50 && !reg; i++) {
    reg = (await s.conn.list<Row>('clusterRegistrationTokens', { clusterId: id }))[0];
    if (!reg) await new Promise((r) => setTimeout(r, 100));
  }
  if (!reg)
    throw new Error(`cluster ${id} was created but has no registration token yet: try corral clusters get ${id}`);
  if (opts.output === 'json' || opts.output === 'yaml') {
    const out = { id, name, command: reg.command, insecureCommand: reg.insecureCommand };
    process.stdout.write(opts.output === 'json' ? JSON.stringify(out, null, 2) + '\n' : yaml().stringify(out));
  } else {
    process.stdout.write(
      `Cluster "${name}" (${id}) created. Install its agent by running, with the cluster's admin kubeconfig:\n\n` +
        `  ${reg.command}\n\nIf the cluster does not trust the server's certificate:\n\n  ${reg.insecureCommand}\n`,
    );
  }
  if (opts.wait) await waitActive(s.conn, id, Number(opts.timeout) * 1000);
}

async function waitActive(conn: V3Client, id: string, timeoutMs: number): Promise<void> {
  const t0 = Date.now();
  let last = '';
  for (;;) {
    const c = await conn.get<Row>(clusterType, id);
    const conds = (c.conditions as { type: string; status: string; message?: string }[] | undefined) ?? [];
    const why = conds.find((x) => x.status !== 'True' && x.message)?.message;
    const line = `${c.state}${why ? `: ${why}` : ''}`;
    if (line !== last) {
      say(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${id} ${line}`);
      last = line;
    }
    if (c.state === 'active') {
      say(`Cluster ${c.name} (${id}) is active: corral context switch ${c.name}`);
      return;
    }
    if (Date.now() - t0 > timeoutMs)
      throw new Error(
        `cluster ${id} is not active after ${timeoutMs / 1000}s (state ${c.state}): is its agent running?`,
      );
    await new Promise((r) => setTimeout(r, 1000));
  }
}

export async function clustersRm([ref]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const c = await resolveCluster(s.conn, String(ref));
  await s.conn.remove(clusterType, String(c.id), { force: opts.force ? true : undefined });
  if (s.server.cluster === c.id) {
    const server = s.config.servers.find((x) => x.name === s.server.name)!;
    server.cluster = undefined;
    server.project = undefined;
    await saveConfig(s.config);
  }
  say(`Deleted cluster ${c.name} (${c.id}).`);
}

interface KubeConfig {
  clusters?: { name: string }[];
  users?: { name: string }[];
  contexts?: { name: string }[];
  'current-context'?: string;
  [k: string]: unknown;
}

function mergeKubeconfigs(base: KubeConfig, add: KubeConfig): KubeConfig {
  const merge = <T extends { name: string }>(a: T[] = [], b: T[] = []) => [
    ...a.filter((x) => !b.some((y) => y.name === x.name)),
    ...b,
  ];
  return {
    apiVersion: 'v1',
    kind: 'Config',
    preferences: {},
    ...base,
    clusters: merge(base.clusters, add.clusters),
    users: merge(base.users, add.users),
    contexts: merge(base.contexts, add.contexts),
    'current-context': add['current-context'],
  };
}

export async function clustersKubeconfig([ref]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const c = await resolveCluster(s.conn, clusterRef(s, {}, ref));
  if (opts.merge && opts.file) throw new UsageError('give either --merge or -f, not both');
  const r = await s.conn.action<{ config: string }>(clusterType, String(c.id), 'generateKubeconfig');
  if (opts.file) {
    const file = String(opts.file);
    await writeFile(file, r.config, { mode: 0o600 });
    await chmod(file, 0o600);
    say(`Wrote the kubeconfig of ${c.name} to ${file}.`);
  } else if (opts.merge) {
    const file = (process.env.KUBECONFIG ?? '').split(':').find(Boolean) ?? join(homedir(), '.kube', 'config');
    let base: KubeConfig = {};
    try {
      base = (yaml().parse(await readFile(file, 'utf8')) as KubeConfig | null) ?? {};
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    await mkdir(dirname(file), { recursive: true, mode: 0o700 });
    await writeFile(file, yaml().stringify(mergeKubeconfigs(base, yaml().parse(r.config) as KubeConfig)), {
      mode: 0o600,
    });
    await chmod(file, 0o600);
    say(`Merged the kubeconfig of ${c.name} into ${file}; its context "${c.name}" is now current.`);
  } else {
    process.stdout.write(r.config);
  }
}

// ---------- projects ----------

export async function projectsLs(_a: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const c = await resolveCluster(s.conn, clusterRef(s, opts));
  listOut(await s.conn.list<Row>(projectType, { clusterId: String(c.id) }), PROJECT_COLUMNS, opts);
}

export async function projectsCreate([name]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const c = await resolveCluster(s.conn, clusterRef(s, opts));
  const body: Row = { name, clusterId: c.id };
  if (opts.description) body.description = opts.description;
  objectOut(await s.conn.create<Row>(projectType, body), PROJECT_COLUMNS, opts);
}

export async function projectsRm([ref]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const c = await resolveCluster(s.conn, clusterRef(s, opts));
  const p = await resolveProject(s.conn, String(c.id), String(ref));
  await s.conn.remove(projectType, String(p.id));
  if (s.server.project === p.id) {
    s.config.servers.find((x) => x.name === s.server.name)!.project = undefined;
    await saveConfig(s.config);
  }
  say(`Deleted project ${p.name} (${p.id}).`);
}

/** `pods=10,requestsCpu=2` → { pods: '10', requestsCpu: '2' }; the server checks names and quantities. */
function parsePairs(flag: string, text: unknown): Row | undefined {
  if (text === undefined) return undefined;
  const out: Row = {};
  for (const pair of String(text).split(',').filter(Boolean)) {
    const i = pair.indexOf('=');
    if (i <= 0) throw new UsageError(`${flag} takes field=quantity pairs separated by commas, not "${pair}"`);
    out[pair.slice(0, i).trim()] = pair.slice(i + 1).trim();
  }
  return out;
}

export async function quotaSet(_a: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const p = await projectFor(s, opts);
  const limit = parsePairs('--limit', opts.limit);
  const nsDefault = parsePairs('--namespace-default', opts.namespaceDefault);
  const container = parsePairs('--container-default', opts.containerDefault);
  const body: Row = {};
  if (opts.clear)
    Object.assign(body, {
      resourceQuota: null,
      namespaceDefaultResourceQuota: null,
      containerDefaultResourceLimit: null,
    });
  if (limit) body.resourceQuota = { limit };
  if (nsDefault) body.namespaceDefaultResourceQuota = { limit: nsDefault };
  if (container) body.containerDefaultResourceLimit = container;
  if (Object.keys(body).length === 0)
    throw new UsageError('give --limit, --namespace-default, --container-default or --clear');
  const updated = await s.conn.update<Row>(projectType, String(p.id), body);
  objectOut(updated, PROJECT_COLUMNS, opts);
}

export async function membersLs(_a: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const p = await projectFor(s, opts);
  const rows = await s.conn.list<Row>(prtbType, { projectId: String(p.id) });
  listOut(rows, PRTB_COLUMNS, opts);
}

export async function membersAdd([user]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const p = await projectFor(s, opts);
  const userId = await resolveUserId(s.conn, String(user));
  const b = await s.conn.create<Row>(prtbType, {
    projectId: p.id,
    userId,
    roleTemplateId: opts.role,
  });
  objectOut(b, PRTB_COLUMNS, opts);
}

export async function membersRm([user]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const p = await projectFor(s, opts);
  const userId = await resolveUserId(s.conn, String(user));
  const rows = (await s.conn.list<Row>(prtbType, { projectId: String(p.id) })).filter(
    (b) => b.userId === userId && (!opts.role || b.roleTemplateId === opts.role),
  );
  if (!rows.length) throw new Error(`${user} has no${opts.role ? ` ${opts.role}` : ''} role in project ${p.name}`);
  for (const b of rows) await s.conn.remove(prtbType, String(b.id));
  say(`Removed ${rows.map((b) => b.roleTemplateId).join(', ')} of ${user} in project ${p.name}.`);
}

// ---------- namespaces ----------

export async function namespacesLs(_a: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const c = await resolveCluster(s.conn, clusterRef(s, opts));
  let rows = await s.conn.listPath<Row>(`/v3/cluster/${c.id}/namespaces`);
  const pRef = (opts.project as string | undefined) ?? (c.id === s.server.cluster ? s.server.project : undefined);
  if (!opts.all && pRef) {
    const p = await resolveProject(s.conn, String(c.id), pRef);
    rows = rows.filter((n) => n.projectId === p.id);
  }
  listOut(rows, NAMESPACE_COLUMNS, opts);
}

export async function namespacesCreate([name]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const c = await resolveCluster(s.conn, clusterRef(s, opts));
  let projectId: unknown = null;
  if (opts.project !== false) {
    const pRef = (opts.project as string | undefined) ?? (c.id === s.server.cluster ? s.server.project : undefined);
    if (!pRef)
      throw new UsageError('no project given and no current project: use --project <project>, or --no-project');
    projectId = (await resolveProject(s.conn, String(c.id), pRef)).id;
  }
  const ns = await s.conn.call<Row>('POST', `/v3/cluster/${c.id}/namespaces`, { name, projectId });
  objectOut(ns, NAMESPACE_COLUMNS, opts);
}

export async function namespacesMove([name, to]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const c = await resolveCluster(s.conn, clusterRef(s, opts));
  const projectId = to === 'none' ? null : (await resolveProject(s.conn, String(c.id), String(to))).id;
  const ns = await s.conn.call<Row>('POST', `/v3/cluster/${c.id}/namespaces/${name}?action=move`, { projectId });
  objectOut(ns, NAMESPACE_COLUMNS, opts);
}

export async function namespacesRm([name]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const c = await resolveCluster(s.conn, clusterRef(s, opts));
  await s.conn.call('DELETE', `/v3/cluster/${c.id}/namespaces/${name}`);
  say(`Deleting namespace ${name}.`);
}

// ---------- users ----------

async function newPassword(opts: Opts, what: string): Promise<string> {
  if (opts.passwordStdin) return readStdin();
  if (!process.stdin.isTTY) throw new UsageError('no terminal to ask the password on: use --password-stdin');
  const first = await askSecret(`${what}: `);
  const again = await askSecret(`${what} (again): `);
  if (first !== again) throw new Error('the passwords do not match');
  return first;
}

export async function usersLs(_a: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  listOut(await s.conn.list<Row>(userType), USER_COLUMNS, opts);
}

export async function usersCreate([username]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const password = await newPassword(opts, `Password for ${username}`);
  const body: Row = { username, password };
  if (opts.displayName) body.name = opts.displayName;
  if (opts.mustChangePassword) body.mustChangePassword = true;
  objectOut(await s.conn.create<Row>(userType, body), USER_COLUMNS, opts);
}

async function setEnabled(ref: unknown, opts: Opts, enabled: boolean) {
  const s = await session(opts);
  const id = await resolveUserId(s.conn, String(ref));
  await s.conn.update(userType, id, { enabled });
  say(`${enabled ? 'Enabled' : 'Disabled'} user ${ref} (${id}).`);
}

export const usersDisable = ([ref]: unknown[], opts: Opts) => setEnabled(ref, opts, false);
export const usersEnable = ([ref]: unknown[], opts: Opts) => setEnabled(ref, opts, true);

export async function usersPasswd([ref]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const id = ref === undefined ? undefined : await resolveUserId(s.conn, String(ref));
  if (id && id !== s.server.userId) {
    const pw = await newPassword(opts, `New password for ${ref}`);
    await s.conn.action(userType, id, 'setpassword', { newPassword: pw });
    say(`Set the password of ${ref}.`);
    return;
  }
  let currentPassword: string;
  let pw: string;
  if (opts.passwordStdin) {
    const lines = (await readStdin()).split(/\r?\n/);
    if (lines.length < 2)
      throw new UsageError('with --password-stdin, give the current and the new password on two lines');
    [currentPassword, pw] = [lines[0]!, lines[1]!];
  } else {
    if (!process.stdin.isTTY) throw new UsageError('no terminal to ask the passwords on: use --password-stdin');
    currentPassword = await askSecret('Current password: ');
    pw = await newPassword(opts, 'New password');
  }
  await s.conn.action(userType, undefined, 'changepassword', { currentPassword, newPassword: pw });
  say('Password changed.');
}

// ---------- tokens ----------

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
  if (opts.description) body.description = opts.description;
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

// ---------- kubectl ----------

async function kubectlBinary(): Promise<string> {
  if (process.env.CORRAL_KUBECTL) return process.env.CORRAL_KUBECTL;
  try {
    const { binaryPath } = await import('../kube/binaries.js');
    return await binaryPath('kubectl');
  } catch {
    return 'kubectl'; // from PATH
  }
}

/**
 * Runs kubectl with a kubeconfig that exists on disk for microseconds only: it is written with
 * mode 0600 into a fresh 0700 folder, opened, and unlinked (with its folder) before kubectl
 * starts. kubectl gets the open file as descriptor 3 and reads `/dev/fd/3`; on Linux every
 * open of that path reopens the (nameless) file from its start, so kubectl may read it more than
 * once. When kubectl exits the descriptor closes and the file is gone for good.
 */
export async function kubectl(args: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const c = await resolveCluster(s.conn, clusterRef(s, opts));
  const kargs = ((args[0] as string[] | undefined) ?? []).filter((a, i) => !(i === 0 && a === '--'));
  // JSON is a valid kubeconfig, and needs no YAML library.
  const kubeconfig = JSON.stringify(
    kubeconfigObject({
      name: String(c.name),
      server: `${s.server.url}/k8s/clusters/${c.id}`,
      caPem: s.server.cacert || undefined,
      skipVerify: s.server.skipVerify,
      userName: 'corral',
      user: { token: s.server.token },
    }),
  );
  const dir = await mkdtemp(join(tmpdir(), 'corral-kubectl-'));
  const file = join(dir, 'kubeconfig');
  const fh = await open(file, 'wx', 0o600);
  try {
    await fh.writeFile(kubeconfig);
  } finally {
    await unlink(file);
    await rmdir(dir);
  }
  const bin = await kubectlBinary();
  const code = await new Promise<number>((resolve, reject) => {
    const child = spawn(bin, ['--kubeconfig=/dev/fd/3', ...kargs], {
      stdio: ['inherit', 'inherit', 'inherit', fh.fd],
    });
    child.on('error', (err: NodeJS.ErrnoException) =>
      reject(
        new Error(
          err.code === 'ENOENT'
            ? 'kubectl not found: install it on PATH, build it with npm run k8s:build, or set CORRAL_KUBECTL'
            : `cannot run kubectl: ${err.message}`,
        ),
      ),
    );
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  }).finally(() => fh.close());
  process.exitCode = code;
  if (code !== 0) process.exit(code);
}
