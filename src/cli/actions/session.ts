import { spawn } from 'node:child_process';
import { mkdtemp, open, readFile, rmdir, unlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cluster as clusterType } from '../../schema/types/cluster.js';
import { project as projectType } from '../../schema/types/project.js';
import { V3Client, errorOf } from '../../client/v3-client.js';
import { clientOf, describeError, fetchCa } from '../client.js';
import { configPath, currentServer, loadConfig, saveConfig, type ServerEntry } from '../config.js';
import { printListing, type Column, type OutputFormat } from '../output.js';
import { ask, askSecret, interactive, readStdin } from '../prompt.js';
import { UsageError } from '../usage-error.js';
import { kubeconfigObject } from '../../kube/kubeconfig.js';
import {
  cell,
  clusterRef,
  objectOut,
  resolveCluster,
  resolveProject,
  say,
  session,
  type Opts,
  type Row,
  type Session,
} from './common.js';

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

/** Rancher's public login path of each password provider. */
const LOGIN_PATHS: Record<string, string> = {
  local: '/v3-public/localProviders/local',
  openldap: '/v3-public/openLdapProviders/openldap',
  activedirectory: '/v3-public/activeDirectoryProviders/activedirectory',
};

/** OpenID Connect and GitHub: the login happens in a browser, the CLI waits for its token. */
const BROWSER_PROVIDERS = ['genericoidc', 'keycloakoidc', 'github', 'shibboleth', 'okta'];

function loginPath(provider: string): string {
  const path = LOGIN_PATHS[provider];
  if (!path && !BROWSER_PROVIDERS.includes(provider))
    throw new UsageError(
      `--auth-provider must be one of ${[...Object.keys(LOGIN_PATHS), ...BROWSER_PROVIDERS].join(', ')}`,
    );
  return path ?? '';
}

/**
 * A browser login for the CLI: the server gives a URL to open; whoever logs in there, in a
 * browser, finishes this login; the CLI polls with a secret only it holds until the token comes.
 */
async function browserLogin(conn: V3Client, provider: string): Promise<string> {
  const started = await conn.call<Row>('POST', `/v3-public/browserLogin/${provider}?action=cliStart`, {});
  say(`Open this URL in a browser to log in (it is valid for 10 minutes):\n  ${String(started.loginUrl)}`);
  say('Waiting for the login to finish…');
  const deadline = Date.now() + 10 * 60_000;
  while (Date.now() < deadline) {
    const r = await conn.request('POST', `/v3-public/browserLogin/${provider}?action=cliPoll`, {
      requestId: started.requestId,
      pollSecret: started.pollSecret,
    });
    if (r.status === 200) return String((JSON.parse(r.body.toString('utf8')) as Row).token);
    if (r.status !== 202) throw errorOf(r, 'POST', `/v3-public/browserLogin/${provider}`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  throw new Error('the browser login did not finish within 10 minutes');
}

export async function login([rawUrl]: unknown[], opts: Opts): Promise<void> {
  const url = normalizeUrl(String(rawUrl));
  if (opts.token && opts.username) throw new UsageError('give either --token or --username, not both');
  const provider = String(opts.authProvider ?? 'local');
  const viaBrowser = BROWSER_PROVIDERS.includes(provider);
  if (!opts.token && !opts.username && !viaBrowser)
    throw new UsageError('give --token <token> or --username <name> (or a browser --auth-provider)');
  if (viaBrowser && (opts.token || opts.username))
    throw new UsageError(`--auth-provider ${provider} logs in through a browser: give no --token or --username`);
  if (opts.passwordStdin && !opts.username) throw new UsageError('--password-stdin goes with --username');
  loginPath(String(opts.authProvider ?? 'local'));
  if (opts.token && !/^token-[a-z0-9]+:\S+$/.test(String(opts.token)))
    throw new UsageError('a token looks like token-xxxxx:secret');
  if (opts.username && !opts.passwordStdin && !process.stdin.isTTY)
    throw new UsageError('no terminal to ask the password on: use --password-stdin');
  const trust = await chooseCa(url, opts);
  const conn = new V3Client({ url, ca: trust.cacert, insecure: trust.skipVerify });
  let token: string;
  let kind: ServerEntry['tokenKind'];
  let mustChange = false;
  if (viaBrowser) {
    token = await browserLogin(conn, provider);
    kind = 'session';
  } else if (opts.username) {
    const password = opts.passwordStdin ? await readStdin() : await askSecret(`Password for ${opts.username}: `);
    if (!password) throw new UsageError('empty password');
    const r = await conn.call<Row>('POST', `${loginPath(String(opts.authProvider ?? 'local'))}?action=login`, {
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
    // Directory users have no local username; their login name is what they typed.
    username: user && user.username ? String(user.username) : (opts.username as string | undefined),
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

// ---------- kubectl ----------

async function kubectlBinary(): Promise<string> {
  if (process.env.CORRAL_KUBECTL) return process.env.CORRAL_KUBECTL;
  try {
    const { binaryPath } = await import('../../kube/binaries.js');
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
