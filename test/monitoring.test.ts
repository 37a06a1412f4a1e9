import { execFile } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, onTestFinished, test } from 'vitest';
import { registerDirect } from './helpers/clusters.js';
import { CORRAL_BIN, runProgram } from './helpers/cli.js';
import { startTestControlPlane, testDir } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';
import { httpsReceiver, loopbackTls } from './helpers/receivers.js';
import { adminToken, startTestServer, type TestServer } from './helpers/server.js';

const execFileP = promisify(execFile);

/** Prometheus processes whose data folder is under this server's. */
async function prometheusOf(server: TestServer): Promise<string[]> {
  const { stdout } = await execFileP('ps', ['-eo', 'args']);
  return stdout.split('\n').filter((l) => l.includes('prometheus ') && l.includes(`${server.dataDir}/monitoring/`));
}

interface Series {
  labels: Record<string, string>;
  values: [number, number][];
}

describe('cluster monitoring', () => {
  test('a Prometheus per monitored cluster scrapes through the server; graphs for clusters and projects (namespaces injected); metric rules fire and resolve; no monitoring, no process', async () => {
    const tls = await loopbackTls();
    const recv = await httpsReceiver(tls);
    const server = await startTestServer({
      env: {
        NODE_EXTRA_CA_CERTS: tls.caFile,
        CORRAL_ALERT_EVAL_SECONDS: '1',
        CORRAL_MONITORING_SCRAPE_SECONDS: '2',
      },
    });
    // Stopped cleanly first, so Alertmanager and Prometheus stop with it.
    onTestFinished(() => server.stop().then(() => undefined));
    const admin = await adminToken(server);
    const cp = await startTestControlPlane();
    const clusterId = await registerDirect(server, admin, cp, 'prod');
    const call = (path: string, opts: { token?: string; body?: unknown; method?: string } = {}) =>
      server.call(path, { token: admin, ...opts });

    // Off by default: nothing runs, and the graphs say how to turn it on.
    const off = await call(`/v3/clusters/${clusterId}/monitoring`);
    expect(off.status, off.text).toBe(200);
    expect(off.json).toMatchObject({ enabled: false, running: false });
    expect(off.json.graphs.map((g: { id: string }) => g.id)).toEqual(['cpu', 'memory', 'network', 'disk', 'apiserver']);
    const offQuery = await call(`/v3/clusters/${clusterId}/monitoring/query?graph=cpu`);
    expect(offQuery.status).toBe(503);
    expect(offQuery.json.message).toMatch(/set enableClusterMonitoring/);
    expect(await prometheusOf(server)).toEqual([]);

    // Rancher's switch on the cluster.
    const c = (await call(`/v3/clusters/${clusterId}`)).json;
    const put = await call(`/v3/clusters/${clusterId}`, {
      method: 'PUT',
      body: { ...c, enableClusterMonitoring: true },
    });
    expect(put.status, put.text).toBe(200);
    await eventually(async () => {
      const r = (await call(`/v3/clusters/${clusterId}/monitoring`)).json;
      if (!r.running) throw new Error('not running');
    }, 'Prometheus to run');
    expect(await prometheusOf(server)).toHaveLength(1);

    // The API server's metrics arrive through the server's own connection to the cluster.
    const up = await eventually(async () => {
      const r = await call(
        `/v3/clusters/${clusterId}/monitoring/query?expr=${encodeURIComponent('up{job="apiserver"}')}&range=300`,
      );
      expect(r.status, r.text).toBe(200);
      const s = r.json.series as Series[];
      if (!s.length || s[0]!.values.at(-1)![1] !== 1) throw new Error(`up: ${JSON.stringify(s)}`);
      return r.json;
    }, 'the API server to be scraped');
    expect(up.expression).toBe('up{job="apiserver"}');

    // The CLI reads the same.
    const home = await testDir('cli-monitoring');
    await mkdir(join(home, 'tmp'));
    await writeFile(join(home, 'ca.pem'), server.ca);
    const env = { ...process.env, CORRAL_CONFIG: join(home, 'config'), HOME: home, TMPDIR: join(home, 'tmp') };
    const cli = (...args: string[]) => runProgram(process.execPath, [CORRAL_BIN, ...args], { env });
    expect((await cli('login', server.url, '--token', admin, '--cacert', join(home, 'ca.pem'))).code).toBe(0);
    const status = await cli('monitoring', 'status', 'prod', '-o', 'json');
    expect(JSON.parse(status.stdout)).toMatchObject({ cluster: 'prod', enabled: true, running: true });
    const q = await cli('monitoring', 'query', 'prod', '--expr', 'up{job="apiserver"}', '--range', '300', '-o', 'json');
    expect(q.code, q.stderr).toBe(0);
    expect(q.stderr).toContain('PromQL: up{job="apiserver"}');
    expect(JSON.parse(q.stdout)[0]).toMatchObject({ value: 1 });
    const noGraph = await cli('monitoring', 'query', 'prod');
    expect(noGraph.code).not.toBe(0);
    expect(noGraph.stderr).toMatch(/--graph or --expr/);
    const rate = await eventually(async () => {
      const r = await call(`/v3/clusters/${clusterId}/monitoring/query?graph=apiserver&range=600`);
      expect(r.status, r.text).toBe(200);
      if (!(r.json.series as Series[]).some((s) => s.values.some(([, v]) => v > 0))) throw new Error('no rate yet');
      return r.json;
    }, 'a request rate');
    expect(rate.expression).toBe('sum by (code) (rate(apiserver_request_total[5m]))');
    // Graph levels build their matchers; bad input says what to fix.
    const nodeCpu = await call(`/v3/clusters/${clusterId}/monitoring/query?graph=cpu&node=worker-1`);
    expect(nodeCpu.json.expression).toBe(
      'sum(rate(container_cpu_usage_seconds_total{container!="",node="worker-1"}[5m]))',
    );
    const wl = await call(`/v3/clusters/${clusterId}/monitoring/query?graph=memory&namespace=shop&workload=web`);
    expect(wl.json.expression).toBe(
      'sum(container_memory_working_set_bytes{container!="",namespace="shop",pod=~"web-.+"})',
    );
    expect((await call(`/v3/clusters/${clusterId}/monitoring/query?graph=cpu&node=a"}or{x="`)).status).toBe(422);
    const badExpr = await call(`/v3/clusters/${clusterId}/monitoring/query?expr=${encodeURIComponent('sum(')}`);
    expect(badExpr.status).toBe(422);
    expect(badExpr.json.message).toMatch(/not valid PromQL/);
    expect((await call(`/v3/clusters/${clusterId}/monitoring/query?graph=gpu`)).status).toBe(422);

    // A project member sees only the project's namespaces, and cannot send PromQL.
    const project = (await call('/v3/projects', { body: { clusterId, name: 'team-a' } })).json;
    for (const name of ['team-a-web', 'team-a-db'])
      expect(
        (await call(`/v3/cluster/${clusterId}/namespaces`, { body: { name, projectId: project.id } })).status,
      ).toBe(201);
    const alice = await call('/v3/users', { body: { username: 'alice', password: 'alice-password-1' } });
    expect(alice.status, alice.text).toBe(201);
    const bind = await call('/v3/projectRoleTemplateBindings', {
      body: { projectId: project.id, userId: alice.json.id, roleTemplateId: 'project-member' },
    });
    expect(bind.status, bind.text).toBe(201);
    const aliceToken = await server.login('alice', 'alice-password-1');
    const pcpu = await eventually(async () => {
      const r = await call(`/v3/projects/${project.id}/monitoring/query?graph=cpu`, { token: aliceToken });
      expect(r.status, r.text).toBe(200);
      return r.json;
    }, 'the project graph');
    expect(pcpu.expression).toMatch(/namespace=~"team-a-(web|db)\|team-a-(web|db)"/);
    const pPod = await call(`/v3/projects/${project.id}/monitoring/query?graph=cpu&namespace=team-a-web&pod=api-0`, {
      token: aliceToken,
    });
    expect(pPod.json.expression).toContain('namespace="team-a-web",pod="api-0"');
    expect(
      (await call(`/v3/projects/${project.id}/monitoring/query?graph=cpu&namespace=kube-system`, { token: aliceToken }))
        .status,
    ).toBe(404);
    expect((await call(`/v3/projects/${project.id}/monitoring/query?expr=up`, { token: aliceToken })).status).toBe(403);
    expect(
      (await call(`/v3/projects/${project.id}/monitoring/query?graph=apiserver`, { token: aliceToken })).status,
    ).toBe(422);
    // Alice is not a member of the cluster: its graphs are not hers.
    expect((await call(`/v3/clusters/${clusterId}/monitoring/query?expr=up`, { token: aliceToken })).status).toBe(404);

    // A metric rule becomes a Prometheus alerting rule; what fires reaches the group's notifier.
    const n = await call('/v3/notifiers', {
      body: { clusterId, name: 'hook', sendResolved: true, webhookConfig: { url: `${recv.url}/metrics` } },
    });
    const g = await call('/v3/clusterAlertGroups', {
      body: {
        clusterId,
        name: 'metrics',
        groupWaitSeconds: 1,
        groupIntervalSeconds: 1,
        repeatIntervalSeconds: 3600,
        recipients: [{ notifierId: n.json.id }],
      },
    });
    const rule = await call('/v3/clusterAlertRules', {
      body: {
        clusterId,
        groupId: g.json.id,
        name: 'apiserver-up',
        metricRule: {
          expression: 'sum(up{job="apiserver"})',
          comparison: 'equal',
          thresholdValue: 1,
          duration: '2s',
          description: 'API servers up',
        },
      },
    });
    expect(rule.status, rule.text).toBe(201);
    const fired = await eventually(async () => {
      const m = recv.got.find((r) => r.path === '/metrics' && (r.body as { status: string }).status === 'firing');
      if (!m) throw new Error('no metric alert yet');
      return m.body as { alerts: { labels: Record<string, string>; annotations: Record<string, string> }[] };
    }, 'the metric alert');
    expect(fired.alerts[0]!.labels).toMatchObject({ rule_id: rule.json.id, rule_kind: 'metricRule' });
    expect(fired.alerts[0]!.annotations.message).toBe('API servers up is 1 (equal 1)');
    const r1 = (await call(`/v3/clusterAlertRules/${rule.json.id}`)).json;
    expect(r1.state).toBe('alerting');

    // The threshold moves: the condition no longer holds and the resolution is sent.
    const put2 = await call(`/v3/clusterAlertRules/${rule.json.id}`, {
      method: 'PUT',
      body: { ...r1, metricRule: { ...r1.metricRule, thresholdValue: 5 } },
    });
    expect(put2.status, put2.text).toBe(200);
    await eventually(async () => {
      const m = recv.got.find((r) => r.path === '/metrics' && (r.body as { status: string }).status === 'resolved');
      if (!m) throw new Error('no resolution yet');
    }, 'the metric alert to resolve');

    // Off again: the process goes.
    const c2 = (await call(`/v3/clusters/${clusterId}`)).json;
    await call(`/v3/clusters/${clusterId}`, { method: 'PUT', body: { ...c2, enableClusterMonitoring: false } });
    await eventually(async () => {
      if ((await prometheusOf(server)).length) throw new Error('still running');
    }, 'Prometheus to stop');
    expect((await call(`/v3/clusters/${clusterId}/monitoring`)).json.running).toBe(false);
  });
});
