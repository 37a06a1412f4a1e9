import { bodyFromFlags, createFlags } from '../schema-flags.js';
import { CLUSTER_CREATE_OMIT } from '../clusters.js';
import { readFile, writeFile, chmod, mkdir } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { cluster as clusterType } from '../../schema/types/cluster.js';
import { V3Client } from '../../client/v3-client.js';
import { saveConfig } from '../config.js';
import { yaml } from '../output.js';
import { UsageError } from '../usage-error.js';
import {
  CLUSTER_COLUMNS,
  clusterRef,
  listOut,
  objectOut,
  resolveCluster,
  resolveProject,
  say,
  session,
  type Opts,
  type Row,
} from './common.js';

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
  const body: Row = { name, ...bodyFromFlags(createFlags(clusterType, CLUSTER_CREATE_OMIT), opts) };
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
  const body: Row = { name, ...bodyFromFlags(createFlags(clusterType, CLUSTER_CREATE_OMIT), opts) };
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

export async function clustersImportYaml([file]: unknown[], opts: Opts): Promise<void> {
  const text =
    file === '-'
      ? await new Promise<string>((resolve, reject) => {
          let data = '';
          process.stdin.setEncoding('utf8');
          process.stdin.on('data', (d: string) => (data += d));
          process.stdin.on('end', () => resolve(data));
          process.stdin.on('error', reject);
        })
      : await readFile(String(file), 'utf8').catch((e: NodeJS.ErrnoException) => {
          throw new UsageError(`cannot read ${String(file)}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
        });
  const s = await session(opts);
  const c = await resolveCluster(s.conn, clusterRef(s, opts));
  const body: Row = { yaml: text };
  if (opts.namespace) body.namespace = String(opts.namespace);
  if (opts.defaultNamespace) body.defaultNamespace = String(opts.defaultNamespace);
  if (opts.project) body.projectId = (await resolveProject(s.conn, String(c.id), String(opts.project))).id;
  const r = await s.conn.call<Row>('POST', `/v3/clusters/${String(c.id)}?action=importYaml`, body);
  if ((opts.output ?? 'table') === 'table') {
    for (const line of (r.applied as string[] | undefined) ?? []) process.stdout.write(`applied ${line}\n`);
  } else objectOut(r, [], opts);
}
