// Projects and RBAC at scale on one real cluster: P projects × N namespaces, U users each bound in
// B projects. Measures the time from a binding's creation until its RoleBindings exist in every
// namespace of the project, the time for a new namespace to receive all its bindings, the RBAC
// objects Corral created against Rancher's formula for the same setup, and the server's CPU while
// idle. Usage: npm run bench:rbac [-- projects namespaces users bindingsPerUser]
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startControlPlane } from '../src/localcluster/control-plane.js';
import { followWatch, benchAdmin, jsonClient, ms, pct, startBenchServer } from './lib/harness.js';

const [P, N, U, B] = [100, 10, 200, 5].map((d, i) => Number(process.argv[2 + i] ?? d)) as [
  number,
  number,
  number,
  number,
];
const SAMPLES = 40;

async function cpuSeconds(pid: number): Promise<number> {
  const stat = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ');
  return (Number(stat[11]) + Number(stat[12])) / 100; // utime + stime, in clock ticks of 1/100 s
}

/** Follows every RoleBinding in the cluster; resolves waiters when a subject shows up in namespaces. */
function rbWatcher(server: string, tls: { ca: string; cert: string; key: string }) {
  const subjectsByNs = new Map<string, Set<string>>(); // namespace → subjects in any managed RoleBinding
  const byRb = new Map<string, string[]>();
  const waiters: { check: () => boolean; resolve: (t: number) => void }[] = [];
  const apply = (
    type: string,
    rb: {
      metadata: { namespace: string; name: string; labels?: Record<string, string> };
      subjects?: { name: string }[];
    },
  ) => {
    if (rb.metadata.labels?.['corral.io/managed'] !== 'true') return;
    const key = `${rb.metadata.namespace}/${rb.metadata.name}`;
    byRb.set(key, type === 'DELETED' ? [] : (rb.subjects ?? []).map((s) => s.name));
    const set = new Set<string>();
    for (const [k, subs] of byRb) if (k.startsWith(`${rb.metadata.namespace}/`)) subs.forEach((s) => set.add(s));
    subjectsByNs.set(rb.metadata.namespace, set);
    const now = performance.now();
    for (let i = waiters.length - 1; i >= 0; i--) {
      if (waiters[i]!.check()) {
        waiters[i]!.resolve(now);
        waiters.splice(i, 1);
      }
    }
  };
  const watch = followWatch(new URL('/apis/rbac.authorization.k8s.io/v1/rolebindings?watch=1', server), tls, (ev) =>
    apply(ev.type, ev.object),
  );
  return {
    until(namespaces: string[], subject: string): Promise<number> {
      return new Promise((resolve) => {
        const check = () => namespaces.every((ns) => subjectsByNs.get(ns)?.has(subject));
        if (check()) resolve(performance.now());
        else waiters.push({ check, resolve });
      });
    },
    close: () => void watch.then((w) => w.close()),
  };
}

const root = await mkdtemp(join(tmpdir(), 'corral-bench-rbac-'));
const cp = await startControlPlane({ dir: join(root, 'cp'), name: 'rbac' });
const server = await startBenchServer(join(root, 'server'));
try {
  const { api } = await benchAdmin(server);
  const kc = await readFile(cp.kubeconfigPath, 'utf8');
  const b64 = (k: string) => Buffer.from(kc.match(new RegExp(`${k}: (\\S+)`))![1]!, 'base64').toString();
  const tls = {
    ca: b64('certificate-authority-data'),
    cert: b64('client-certificate-data'),
    key: b64('client-key-data'),
  };
  const cluster = await api.call('POST', '/v3/clusters', { name: 'rbac', importedConfig: { kubeConfig: kc } });
  const clusterId = cluster.json.id as string;
  while ((await api.call('GET', `/v3/clusters/${clusterId}`)).json.state !== 'active')
    await new Promise((r) => setTimeout(r, 200));

  const t0 = performance.now();
  const projects: string[] = [];
  for (let i = 0; i < P; i++)
    projects.push((await api.call('POST', '/v3/projects', { name: `proj-${i}`, clusterId })).json.id);
  const nsOf = new Map<string, string[]>();
  const queue = projects.flatMap((p, i) => Array.from({ length: N }, (_, j) => ({ p, name: `p${i}-ns${j}` })));
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      for (let item = queue.shift(); item; item = queue.shift()) {
        const r = await api.call('POST', `/v3/cluster/${clusterId}/namespaces`, { name: item.name, projectId: item.p });
        if (r.status !== 201) throw new Error(`namespace ${item.name}: ${r.status} ${r.text}`);
        nsOf.set(item.p, [...(nsOf.get(item.p) ?? []), item.name]);
      }
    }),
  );
  const users: string[] = [];
  for (let i = 0; i < U; i++) {
    users.push(
      (await api.call('POST', '/v3/users', { username: `user-${i}`, password: `user-password-${i}` })).json.id,
    );
  }
  // Each user gets project-member in B projects (spread evenly), all but the sampled bindings now.
  const pairs: { user: string; project: string }[] = [];
  users.forEach((u, i) => {
    for (let k = 0; k < B; k++) pairs.push({ user: u, project: projects[(i * B + k) % P]! });
  });
  const sampled = pairs.splice(0, SAMPLES);
  const bindQueue = [...pairs];
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let b = bindQueue.shift(); b; b = bindQueue.shift()) {
        await api.call('POST', '/v3/projectRoleTemplateBindings', {
          projectId: b.project,
          userId: b.user,
          roleTemplateId: 'project-member',
        });
      }
    }),
  );
  const watcher = rbWatcher(cp.server, tls);
  // Wait for convergence of the bulk before measuring single changes.
  await watcher.until(nsOf.get(pairs.at(-1)!.project)!, pairs.at(-1)!.user);
  const setupSeconds = (performance.now() - t0) / 1000;

  const bindingLatency: number[] = [];
  for (const s of sampled) {
    const start = performance.now();
    const done = watcher.until(nsOf.get(s.project)!, s.user);
    await api.call('POST', '/v3/projectRoleTemplateBindings', {
      projectId: s.project,
      userId: s.user,
      roleTemplateId: 'project-member',
    });
    bindingLatency.push((await done) - start);
  }
  const namespaceLatency: number[] = [];
  for (let i = 0; i < 20; i++) {
    const p = projects[i]!;
    const name = `late-${i}`;
    const membersOfP = [...sampled, ...pairs].filter((x) => x.project === p).map((x) => x.user);
    const start = performance.now();
    const done = Promise.all(membersOfP.map((u) => watcher.until([name], u)));
    await api.call('POST', `/v3/cluster/${clusterId}/namespaces`, { name, projectId: p });
    await done;
    namespaceLatency.push(performance.now() - start);
  }

  const straight = jsonClient(cp.server, tls);
  const count = async (path: string) =>
    (await straight.call('GET', `${path}?labelSelector=${encodeURIComponent('corral.io/managed=true')}`)).json.items
      .length as number;
  const [crs, crbs, rbs] = await Promise.all([
    count('/apis/rbac.authorization.k8s.io/v1/clusterroles'),
    count('/apis/rbac.authorization.k8s.io/v1/clusterrolebindings'),
    count('/apis/rbac.authorization.k8s.io/v1/rolebindings'),
  ]);
  const totalNamespaces = P * N + 20;
  const bindingsTotal = U * B + P; // plus the admin's project-owner binding in each project
  // Rancher: one RoleBinding per namespace × role × subject (each binding's template, in each namespace).
  const rancher = totalNamespaces * ((U * B) / P) + totalNamespaces * 1;

  await new Promise((r) => setTimeout(r, 5000));
  const cpu0 = await cpuSeconds(server.pid);
  await new Promise((r) => setTimeout(r, 60_000));
  const idleCpu = ((await cpuSeconds(server.pid)) - cpu0) / 60;
  watcher.close();

  console.log(
    `\nRBAC at scale: ${P} projects × ${N} namespaces, ${U} users × ${B} project bindings (${bindingsTotal} bindings), one cluster`,
  );
  console.log(`setup (create everything, converge):   ${setupSeconds.toFixed(1)} s`);
  console.log(
    `binding → RoleBindings in all ${N} namespaces: p50 ${ms(pct(bindingLatency, 50))}, p99 ${ms(pct(bindingLatency, 99))} (${SAMPLES} samples; aim p99 < 1 s)`,
  );
  console.log(
    `new namespace → all its bindings:      p50 ${ms(pct(namespaceLatency, 50))}, p99 ${ms(pct(namespaceLatency, 99))} (20 samples; aim p99 < 1 s)`,
  );
  console.log(
    `RBAC objects: ${crs} ClusterRoles + ${crbs} ClusterRoleBindings + ${rbs} RoleBindings = ${crs + crbs + rbs}`,
  );
  console.log(
    `Rancher's formula (namespaces × bindings per project): about ${Math.round(rancher)} RoleBindings — Corral/Rancher ${((crs + crbs + rbs) / rancher).toFixed(3)}`,
  );
  console.log(`server CPU while idle (60 s after convergence): ${(idleCpu * 100).toFixed(2)}% of one core`);
} finally {
  await server.stop();
  await cp.stop();
  await rm(root, { recursive: true, force: true });
}
