import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { registerDirect } from './helpers/clusters.js';
import { kubectl, startTestControlPlane, testDir } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';
import { httpsReceiver, loopbackTls, type Received } from './helpers/receivers.js';
import { adminToken, startTestServer } from './helpers/server.js';

interface Hook {
  status: string;
  groupLabels: Record<string, string>;
  alerts: { status: string; labels: Record<string, string>; annotations: Record<string, string> }[];
}
const hook = (r: Received) => r.body as unknown as Hook;

const GROUP_WAIT = 3;
const REPEAT = 8;

/**
 * A server that evaluates rules every second, an HTTPS receiver it trusts, and a real control plane
 * registered as `clusterName`.
 */
async function alertWorld(clusterName: string) {
  const tls = await loopbackTls();
  const recv = await httpsReceiver(tls);
  const server = await startTestServer({
    env: { NODE_EXTRA_CA_CERTS: tls.caFile, CORRAL_ALERT_EVAL_SECONDS: '1' },
  });
  // Stopped cleanly first, so Alertmanager and Prometheus stop with it.
  onTestFinished(() => server.stop().then(() => undefined));
  const admin = await adminToken(server);
  const cp = await startTestControlPlane();
  const clusterId = await registerDirect(server, admin, cp, clusterName);
  return { recv, server, admin, cp, clusterId };
}

describe('alerts', () => {
  test('a node turning NotReady, a Warning event and a crash-looping pod fire through a real Alertmanager: one message per group after group wait, repeats, resolution; state in the API', async () => {
    const { recv, server, admin, cp, clusterId } = await alertWorld('prod');
    const call = (path: string, body?: unknown, method?: string) =>
      server.call(path, { token: admin, ...(body !== undefined ? { body } : {}), ...(method ? { method } : {}) });

    // A node as a kubelet would report it: Ready, then NotReady (its status written directly;
    // there is no kubelet behind it).
    const dir = await testDir('alerts');
    await writeFile(
      join(dir, 'node.yaml'),
      'apiVersion: v1\nkind: Node\nmetadata:\n  name: worker-1\n  labels:\n    role: worker\n',
    );
    await kubectl(cp, 'apply', '-f', join(dir, 'node.yaml'));
    const nodeReady = (status: 'True' | 'False') =>
      kubectl(
        cp,
        'patch',
        'node',
        'worker-1',
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({
          status: {
            conditions: [
              {
                type: 'Ready',
                status,
                reason: status === 'True' ? 'KubeletReady' : 'KubeletNotReady',
                message: status === 'True' ? 'kubelet is posting ready status' : 'container runtime is down',
                lastHeartbeatTime: new Date().toISOString(),
                lastTransitionTime: new Date().toISOString(),
              },
            ],
          },
        }),
      );
    await nodeReady('True');

    const n = await call('/v3/notifiers', {
      clusterId,
      name: 'hook',
      sendResolved: true,
      webhookConfig: { url: `${recv.url}/cluster` },
    });
    expect(n.status, n.text).toBe(201);
    const g = await call('/v3/clusterAlertGroups', {
      clusterId,
      name: 'nodes',
      groupWaitSeconds: GROUP_WAIT,
      groupIntervalSeconds: 2,
      repeatIntervalSeconds: REPEAT,
      recipients: [{ notifierId: n.json.id }],
    });
    expect(g.status, g.text).toBe(201);
    expect(g.json.id).toMatch(new RegExp(`^${clusterId}:g-`));
    const rule = await call('/v3/clusterAlertRules', {
      clusterId,
      groupId: g.json.id,
      name: 'node-not-ready',
      severity: 'critical',
      nodeRule: { condition: 'notready', selector: { role: 'worker' } },
    });
    expect(rule.status, rule.text).toBe(201);
    const ruleId = rule.json.id as string;

    // Bad input is refused with what to fix.
    const twoKinds = await call('/v3/clusterAlertRules', {
      clusterId,
      groupId: g.json.id,
      name: 'x',
      nodeRule: {},
      eventRule: { resourceKind: 'Pod' },
    });
    expect(twoKinds.status).toBe(422);
    expect(twoKinds.json.message).toMatch(/exactly one of/);
    const badGroup = await call('/v3/clusterAlertRules', {
      clusterId,
      groupId: `${clusterId}:g-nope1`,
      name: 'x',
      nodeRule: {},
    });
    expect(badGroup.status).toBe(422);
    expect(badGroup.json.fieldName).toBe('groupId');
    const badNotifier = await call('/v3/clusterAlertGroups', {
      clusterId,
      name: 'x',
      recipients: [{ notifierId: 'c-other:n-zzzzz' }],
    });
    expect(badNotifier.status).toBe(422);
    expect(badNotifier.json.fieldName).toBe('recipients[0].notifierId');
    const unmuteActive = await call(`/v3/clusterAlertRules/${ruleId}?action=unmute`, {});
    expect(unmuteActive.status).toBe(422);

    // The rule is evaluated and nothing fires while the node is ready.
    await eventually(async () => {
      const r = (await call(`/v3/clusterAlertRules/${ruleId}`)).json;
      if (r.state !== 'active') throw new Error(`state ${r.state}`);
    }, 'the rule to be active');
    expect(recv.got).toHaveLength(0);

    const notReadyAt = Date.now();
    await nodeReady('False');
    const first = await eventually(async () => {
      const m = recv.got.find((r) => hook(r).status === 'firing');
      if (!m) throw new Error('no notification yet');
      return m;
    }, 'the first notification');
    // Alertmanager waited the group's groupWait before the first message.
    expect(first.at - notReadyAt).toBeGreaterThanOrEqual(GROUP_WAIT * 1000);
    const firstAlerts = hook(first).alerts;
    expect(firstAlerts).toHaveLength(1);
    expect(firstAlerts[0]).toMatchObject({
      status: 'firing',
      labels: { rule_id: ruleId, alert_key: 'node/worker-1', severity: 'critical', cluster_name: 'prod' },
      annotations: { message: 'node worker-1 is not ready: container runtime is down' },
    });
    expect(hook(first).groupLabels.group_name).toBe('nodes');

    // State in the API: firing since, last sent.
    const firing = await eventually(async () => {
      const r = (await call(`/v3/clusterAlertRules/${ruleId}`)).json;
      if (r.state !== 'alerting' || !r.lastSent) throw new Error(`state ${r.state}, lastSent ${r.lastSent}`);
      return r;
    }, 'the rule to show alerting and last sent');
    expect(Date.parse(firing.firingSince)).toBeLessThanOrEqual(first.at);
    expect(firing.firing).toEqual([expect.objectContaining({ key: 'node/worker-1' })]);

    // A Warning event on a Pod joins the same group: the next message carries both alerts.
    const ev = await call('/v3/clusterAlertRules', {
      clusterId,
      groupId: g.json.id,
      name: 'pod-warnings',
      severity: 'warning',
      eventRule: { eventType: 'Warning', resourceKind: 'Pod' },
    });
    expect(ev.status, ev.text).toBe(201);
    await writeFile(
      join(dir, 'event.yaml'),
      [
        'apiVersion: v1',
        'kind: Event',
        'metadata:',
        '  name: web-1.backoff',
        '  namespace: default',
        'type: Warning',
        'reason: BackOff',
        'message: Back-off restarting failed container web',
        'involvedObject:',
        '  kind: Pod',
        '  name: web-1',
        '  namespace: default',
        `lastTimestamp: "${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}"`,
        `firstTimestamp: "${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}"`,
        'count: 1',
        'source:',
        '  component: kubelet',
        '',
      ].join('\n'),
    );
    await kubectl(cp, 'apply', '-f', join(dir, 'event.yaml'));
    const both = await eventually(async () => {
      const m = recv.got.find((r) => hook(r).alerts.length === 2);
      if (!m) throw new Error('no message with both alerts yet');
      return m;
    }, 'a message with both alerts of the group');
    expect(
      hook(both)
        .alerts.map((a) => a.labels.alert_key)
        .sort(),
    ).toEqual(['event/Pod/default/web-1/BackOff', 'node/worker-1']);

    // With nothing new, the group is repeated after repeatIntervalSeconds, not sooner.
    const repeat = await eventually(
      async () => {
        const after = recv.got.filter((r) => r.at > both.at && hook(r).alerts.length === 2);
        if (!after.length) throw new Error('no repeat yet');
        return after[0]!;
      },
      'the repeated message',
      60_000,
    );
    expect(repeat.at - both.at).toBeGreaterThanOrEqual(REPEAT * 1000 - 1000);
    // One message per group each time: no message in between.
    expect(recv.got.filter((r) => r.at > both.at && r.at < repeat.at)).toHaveLength(0);

    // Muting is an Alertmanager silence: the muted rule's alert leaves the group's messages.
    const muted = await call(`/v3/clusterAlertRules/${ev.json.id}?action=mute`, {});
    expect(muted.status, muted.text).toBe(200);
    expect((await call(`/v3/clusterAlertRules/${ev.json.id}`)).json.state).toBe('muted');

    // The node is ready again: the resolution is sent (the notifier sends resolved alerts).
    await nodeReady('True');
    const resolved = await eventually(
      async () => {
        const m = recv.got.find((r) =>
          hook(r).alerts.some((a) => a.labels.alert_key === 'node/worker-1' && a.status === 'resolved'),
        );
        if (!m) throw new Error('no resolution yet');
        return m;
      },
      'the resolution',
      60_000,
    );
    expect(hook(resolved).alerts.map((a) => a.labels.alert_key)).not.toContain('event/Pod/default/web-1/BackOff');
    await eventually(async () => {
      const r = (await call(`/v3/clusterAlertRules/${ruleId}`)).json;
      if (r.state !== 'active' || r.firing.length) throw new Error(`state ${r.state}`);
    }, 'the rule to be active again');

    // System services: this control plane runs no scheduler (it has no nodes to schedule onto);
    // etcd is healthy; the controller manager holds its leader lease, renewed as a leader does
    // (written here: the test control plane runs it without leader election).
    await writeFile(
      join(dir, 'lease.yaml'),
      `apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n  name: kube-controller-manager\n  namespace: kube-system\nspec:\n  holderIdentity: cp-1\n  leaseDurationSeconds: 60\n  renewTime: "${new Date().toISOString().replace('Z', '000Z')}"\n`,
    );
    await kubectl(cp, 'apply', '-f', join(dir, 'lease.yaml'));
    const sg = await call('/v3/clusterAlertGroups', {
      clusterId,
      name: 'system',
      groupWaitSeconds: 1,
      recipients: [{ notifierId: n.json.id }],
    });
    for (const condition of ['etcd', 'scheduler', 'controller-manager'])
      expect(
        (
          await call('/v3/clusterAlertRules', {
            clusterId,
            groupId: sg.json.id,
            name: `${condition}-health`,
            systemServiceRule: { condition },
          })
        ).status,
      ).toBe(201);
    const sys = await eventually(async () => {
      const m = recv.got.find((r) => hook(r).alerts.some((a) => a.labels.rule_kind === 'systemServiceRule'));
      if (!m) throw new Error('no system service notification yet');
      return m;
    }, 'the system service notification');
    expect(hook(sys).alerts.map((a) => a.labels.alert_key)).toEqual(['system/scheduler']);
    expect(hook(sys).alerts[0]!.annotations.message).toMatch(/^scheduler is unhealthy: /);

    // Deactivated rules fire nothing; a group with rules cannot be deleted.
    expect((await call(`/v3/clusterAlertRules/${ruleId}?action=deactivate`, {})).status).toBe(200);
    expect((await call(`/v3/clusterAlertRules/${ruleId}`)).json.state).toBe('inactive');
    const del = await call(`/v3/clusterAlertGroups/${g.json.id}`, undefined, 'DELETE');
    expect(del.status).toBe(409);
    expect(del.json.message).toMatch(/still has rules/);

    // Project alerts: a pod restarting more than N times, only in the project's namespaces.
    const project = await call('/v3/projects', { clusterId, name: 'team-a' });
    expect(project.status, project.text).toBe(201);
    const projectId = project.json.id as string;
    const ns = await server.call(`/v3/cluster/${clusterId}/namespaces`, {
      token: admin,
      body: { name: 'team-a-web', projectId },
    });
    expect(ns.status, ns.text).toBe(201);
    const pn = await call('/v3/notifiers', {
      clusterId,
      name: 'team-hook',
      webhookConfig: { url: `${recv.url}/project` },
    });
    const pg = await call('/v3/projectAlertGroups', {
      projectId,
      name: 'team-a pods',
      groupWaitSeconds: 1,
      groupIntervalSeconds: 1,
      repeatIntervalSeconds: 3600,
      recipients: [{ notifierId: pn.json.id }],
    });
    expect(pg.status, pg.text).toBe(201);
    const pr = await call('/v3/projectAlertRules', {
      projectId,
      groupId: pg.json.id,
      name: 'crashloop',
      podRule: { condition: 'restarts', restartTimes: 3, restartIntervalSeconds: 600 },
    });
    expect(pr.status, pr.text).toBe(201);
    const metric = await call('/v3/projectAlertRules', {
      projectId,
      groupId: pg.json.id,
      name: 'm',
      metricRule: { expression: 'up' },
    });
    expect(metric.status).toBe(422);
    expect(metric.json.message).toMatch(/project metric rules are not supported/);

    // Two pods crash-looping, as a kubelet reports it (restartCount in the pod's status): one in
    // the project, one outside it.
    for (const namespace of ['team-a-web', 'default']) {
      await writeFile(
        join(dir, `pod-${namespace}.yaml`),
        `apiVersion: v1\nkind: Pod\nmetadata:\n  name: api\n  namespace: ${namespace}\nspec:\n  nodeName: worker-1\n  containers:\n  - name: api\n    image: example/api:1\n`,
      );
      await kubectl(cp, 'apply', '-f', join(dir, `pod-${namespace}.yaml`));
      await kubectl(
        cp,
        'patch',
        'pod',
        'api',
        '-n',
        namespace,
        '--subresource=status',
        '--type=merge',
        '-p',
        JSON.stringify({
          status: {
            phase: 'Running',
            containerStatuses: [
              {
                name: 'api',
                image: 'example/api:1',
                imageID: '',
                ready: false,
                started: false,
                restartCount: 4,
                state: { waiting: { reason: 'CrashLoopBackOff' } },
                lastState: {},
              },
            ],
          },
        }),
      );
    }
    const crash = await eventually(async () => {
      const m = recv.got.find((r) => r.path.endsWith('/project'));
      if (!m) throw new Error('no project notification yet');
      return m;
    }, 'the crash-loop notification');
    expect(hook(crash).alerts).toHaveLength(1);
    expect(hook(crash).alerts[0]).toMatchObject({
      labels: { alert_key: 'pod/team-a-web/api', project_id: projectId },
      annotations: { message: 'pod team-a-web/api restarted 4 times in 600s' },
    });

    // A Deployment below its available percentage (its pods never become available: no kubelet).
    const wn = await call('/v3/notifiers', {
      clusterId,
      name: 'wl-hook',
      webhookConfig: { url: `${recv.url}/workload` },
    });
    const wg = await call('/v3/projectAlertGroups', {
      projectId,
      name: 'team-a workloads',
      groupWaitSeconds: 1,
      recipients: [{ notifierId: wn.json.id }],
    });
    const wr = await call('/v3/projectAlertRules', {
      projectId,
      groupId: wg.json.id,
      name: 'shop-available',
      workloadRule: { workloadId: 'deployment:team-a-web:shop', availablePercentage: 50 },
    });
    expect(wr.status, wr.text).toBe(201);
    await kubectl(cp, 'create', 'deployment', 'shop', '-n', 'team-a-web', '--image=example/shop:1', '--replicas=2');
    const wmsg = await eventually(async () => {
      const m = recv.got.find((r) => r.path.endsWith('/workload'));
      if (!m) throw new Error('no workload notification yet');
      return m;
    }, 'the workload notification');
    expect(hook(wmsg).alerts[0]!.annotations.message).toBe(
      'deployment team-a-web/shop has 0 of 2 replicas available (0% < 50%)',
    );
    expect(server.stderr()).not.toMatch(/alert relay/);
  });
  test('a node whose pods request more than the threshold of its CPU or memory fires, and resolves when they go', async () => {
    const { recv, server, admin, cp, clusterId } = await alertWorld('reserved');
    const call = (path: string, body?: unknown) =>
      server.call(path, { token: admin, ...(body !== undefined ? { body } : {}) });
    // A node that can allocate one CPU and 1 GiB, as a kubelet would report it.
    const dir = await testDir('alerts-reserved');
    await writeFile(join(dir, 'node.yaml'), 'apiVersion: v1\nkind: Node\nmetadata:\n  name: small-1\n');
    await kubectl(cp, 'apply', '-f', join(dir, 'node.yaml'));
    await kubectl(
      cp,
      'patch',
      'node',
      'small-1',
      '--subresource=status',
      '--type=merge',
      '-p',
      JSON.stringify({ status: { allocatable: { cpu: '1', memory: '1Gi', pods: '110' } } }),
    );
    const n = await call('/v3/notifiers', { clusterId, name: 'hook', webhookConfig: { url: `${recv.url}/reserved` } });
    const g = await call('/v3/clusterAlertGroups', {
      clusterId,
      name: 'capacity',
      groupWaitSeconds: 1,
      recipients: [{ notifierId: n.json.id }],
    });
    const cpu = await call('/v3/clusterAlertRules', {
      clusterId,
      groupId: g.json.id,
      name: 'cpu-reserved',
      nodeRule: { condition: 'cpu', cpuThreshold: 80 },
    });
    expect(cpu.status, cpu.text).toBe(201);
    const mem = await call('/v3/clusterAlertRules', {
      clusterId,
      groupId: g.json.id,
      name: 'mem-reserved',
      nodeRule: { condition: 'mem', nodeId: `${clusterId}:small-1`, memThreshold: 50 },
    });
    expect(mem.status, mem.text).toBe(201);
    const state = async (id: string) => (await call(`/v3/clusterAlertRules/${id}`)).json;
    await eventually(async () => {
      for (const id of [cpu.json.id, mem.json.id])
        if ((await state(id)).state !== 'active') throw new Error(`${id} not evaluated yet`);
    }, 'both rules evaluated');

    // Bound to the node as the scheduler would bind it: 900m of 1 CPU (90% > 80%), 256Mi of 1Gi (25% < 50%).
    const pod = {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'hungry', namespace: 'default' },
      spec: {
        nodeName: 'small-1',
        containers: [
          { name: 'app', image: 'example/app:1', resources: { requests: { cpu: '900m', memory: '256Mi' } } },
        ],
      },
    };
    await writeFile(join(dir, 'pod.json'), JSON.stringify(pod));
    // Pods are refused until the controller manager has made the namespace's default account.
    await eventually(() => kubectl(cp, 'get', 'serviceaccount', 'default', '-n', 'default'), 'the default account');
    await kubectl(cp, 'apply', '-f', join(dir, 'pod.json'));
    const firing = await eventually(async () => {
      const r = await state(cpu.json.id);
      if (r.state !== 'alerting') throw new Error(`state ${r.state}`);
      return r;
    }, 'the CPU rule to fire');
    expect(firing.firing.map((f: { message: string }) => f.message)).toEqual([
      'node small-1: 90% of its allocatable CPU is requested (threshold 80%)',
    ]);
    const message = await eventually(async () => {
      const m = recv.got.find((r) => r.path.endsWith('/reserved'));
      if (!m) throw new Error('no notification yet');
      return m;
    }, 'the notification');
    expect(hook(message).alerts.map((a) => a.labels.rule_name)).toEqual(['cpu-reserved']);
    expect((await state(mem.json.id)).state).toBe('active');

    await kubectl(cp, 'delete', 'pod', 'hungry', '-n', 'default', '--grace-period=0', '--force');
    await eventually(async () => {
      const r = await state(cpu.json.id);
      if (r.state !== 'active') throw new Error(`state ${r.state}`);
    }, 'the CPU rule to resolve');
  });
});
