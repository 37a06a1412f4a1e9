// Alerts, in one run against real parts: a real control plane, the built server, Alertmanager.
// 1. Delay from a condition (a node's Ready turning False) to the notification at a webhook, per
//    trial a fresh alert group and rule, against the group wait Alertmanager was configured with
//    (the baseline: the delay cannot be shorter; the rest is Corral's evaluation and the relay).
// 2. Server memory per 1,000 alert rules: RSS with N rules being evaluated against RSS before.
// Usage: npm run bench:alerts [-- trials rules] (default 8 trials, 1000 rules).
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { binaryPath } from '../src/kube/binaries.js';
import { startControlPlane } from '../src/localcluster/control-plane.js';
import { benchAdmin, pct, rssKiB, startBenchServer, waitUntil } from './lib/harness.js';

const execFileP = promisify(execFile);
const TRIALS = Number(process.argv[2] ?? 8);
const RULES = Number(process.argv[3] ?? 1000);
const GROUP_WAIT_S = 2;
const EVAL_S = 1;

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'corral-bench-alerts-'));
  const cleanups: (() => Promise<unknown>)[] = [() => rm(dir, { recursive: true, force: true })];
  try {
    // The webhook receiver: when each node's alert first arrived.
    const arrived = new Map<string, number>();
    const hook = createServer((req, res) => {
      let raw = '';
      req.on('data', (c: Buffer) => (raw += c.toString()));
      req.on('end', () => {
        const body = JSON.parse(raw) as { alerts: { status: string; labels: Record<string, string> }[] };
        for (const a of body.alerts)
          if (a.status === 'firing' && !arrived.has(a.labels.alert_key!)) arrived.set(a.labels.alert_key!, Date.now());
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
    cleanups.push(() => new Promise((r) => hook.close(r)));
    const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;

    const cp = await startControlPlane({ dir: join(dir, 'cp') });
    cleanups.push(() => cp.stop());
    process.env.CORRAL_ALERT_EVAL_SECONDS = String(EVAL_S);
    const server = await startBenchServer(join(dir, 'server'));
    cleanups.push(() => server.stop());
    const { api } = await benchAdmin(server);
    const kubectl = await binaryPath('kubectl');
    const k = (...a: string[]) => execFileP(kubectl, [`--kubeconfig=${cp.kubeconfigPath}`, ...a]);

    const c = await api.call('POST', '/v3/clusters', {
      name: 'bench',
      importedConfig: { kubeConfig: await readFile(cp.kubeconfigPath, 'utf8') },
    });
    const clusterId = String(c.json.id);
    await waitUntil(
      async () => (await api.call('GET', `/v3/clusters/${clusterId}`)).json.state === 'active',
      'cluster',
    );
    const n = await api.call('POST', '/v3/notifiers', { clusterId, name: 'hook', webhookConfig: { url: hookUrl } });
    const rssBefore = await rssKiB(server.pid);

    const nodeReady = (name: string, status: string) =>
      k(
        'patch',
        'node',
        name,
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({
          status: {
            conditions: [{ type: 'Ready', status, reason: 'Bench', lastHeartbeatTime: new Date().toISOString() }],
          },
        }),
      );
    const delays: number[] = [];
    for (let i = 0; i < TRIALS; i++) {
      const node = `bench-${i}`;
      await execFileP('sh', [
        '-c',
        `printf 'apiVersion: v1\\nkind: Node\\nmetadata:\\n  name: ${node}\\n' | ${kubectl} --kubeconfig=${cp.kubeconfigPath} apply -f -`,
      ]);
      await nodeReady(node, 'True');
      const g = await api.call('POST', '/v3/clusterAlertGroups', {
        clusterId,
        name: `trial-${i}`,
        groupWaitSeconds: GROUP_WAIT_S,
        groupIntervalSeconds: 1,
        recipients: [{ notifierId: n.json.id }],
      });
      const r = await api.call('POST', '/v3/clusterAlertRules', {
        clusterId,
        groupId: g.json.id,
        name: `node-${i}`,
        nodeRule: { nodeId: node, condition: 'notready' },
      });
      await waitUntil(
        async () => (await api.call('GET', `/v3/clusterAlertRules/${r.json.id}`)).json.state === 'active',
        'rule',
      );
      const t0 = Date.now();
      await nodeReady(node, 'False');
      await waitUntil(async () => arrived.has(`node/${node}`), `notification for ${node}`, 60_000);
      delays.push(arrived.get(`node/${node}`)! - t0);
      // Deactivated, so later trials' evaluations are not slowed by earlier rules.
      await api.call('POST', `/v3/clusterAlertRules/${r.json.id}?action=deactivate`, {});
    }
    const p50 = pct(delays, 50);
    const p99 = pct(delays, 99);
    console.log(
      `condition -> notification over ${TRIALS} trials (group wait ${GROUP_WAIT_S} s, evaluation every ${EVAL_S} s):`,
    );
    console.log(`  p50 ${(p50 / 1000).toFixed(2)} s  p99 ${(p99 / 1000).toFixed(2)} s`);
    console.log(
      `  ratio to the configured group wait: p50 ${(p50 / (GROUP_WAIT_S * 1000)).toFixed(2)}x  p99 ${(p99 / (GROUP_WAIT_S * 1000)).toFixed(2)}x`,
    );

    // Memory: RULES node rules in one group (a selector no node has), evaluated every pass.
    const g = await api.call('POST', '/v3/clusterAlertGroups', {
      clusterId,
      name: 'many',
      recipients: [{ notifierId: n.json.id }],
    });
    const rssTrials = await rssKiB(server.pid);
    for (let i = 0; i < RULES; i += 20)
      await Promise.all(
        Array.from({ length: Math.min(20, RULES - i) }, (_, j) =>
          api.call('POST', '/v3/clusterAlertRules', {
            clusterId,
            groupId: g.json.id,
            name: `many-${i + j}`,
            nodeRule: { selector: { pool: `none-${i + j}` } },
          }),
        ),
      );
    // Evaluation passes over all of them: RSS sampled three times, to tell growth from a level.
    const samples: number[] = [];
    for (const waitS of [5, 10, 15]) {
      await new Promise((r) => setTimeout(r, waitS * 1000));
      samples.push(await rssKiB(server.pid));
    }
    const rssAfter = samples.at(-1)!;
    const perThousand = ((rssAfter - rssTrials) / RULES) * 1000;
    const mb = (kib: number) => `${(kib / 1024).toFixed(0)} MiB`;
    console.log(
      `server RSS: ${mb(rssBefore)} before alerts, ${mb(rssTrials)} after the trials; with ${RULES} more rules ${samples.map(mb).join(', ')} (5, 15, 30 s later)`,
    );
    console.log(
      `  ${(perThousand / 1024).toFixed(1)} MiB per 1,000 rules (ratio to the server before: ${(rssAfter / rssBefore).toFixed(2)}x)`,
    );
  } finally {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  }
}

await main();
