import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { quantityNumber } from '../src/schema/quantity.js';
import { importWithAgent, waitForState } from './helpers/clusters.js';
import { kubectl, startTestControlPlane, testDir } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';
import { adminToken, startTestServer } from './helpers/server.js';

type Use = Record<string, string> | undefined;
const amount = (use: Use, name: string) => quantityNumber(use?.[name] ?? '0') ?? NaN;

const MANIFESTS = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: default }
spec:
  replicas: 3
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec:
      containers:
        - name: app
          image: registry.invalid/web:1
          resources:
            requests: { cpu: 250m, memory: 64Mi }
            limits: { cpu: 500m, memory: 128Mi }
`;

const NOWHERE = `
apiVersion: v1
kind: Pod
metadata: { name: nowhere, namespace: default }
spec:
  nodeSelector: { no-such-label: anywhere }
  containers:
    - name: app
      image: registry.invalid/nowhere:1
      resources:
        requests: { cpu: "4", memory: 4Gi }
`;

const JOB = `
apiVersion: batch/v1
kind: Job
metadata: { name: once, namespace: default }
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: run
          image: registry.invalid/once:1
          resources:
            requests: { cpu: "2", memory: 1Gi }
            limits: { cpu: "2", memory: 1Gi }
`;

test("a cluster's status.requested and status.limits follow the unfinished pods on its nodes", async () => {
  const [server, cp] = await Promise.all([startTestServer(), startTestControlPlane({ name: 'usage', nodes: 1 })]);
  const admin = await adminToken(server);
  const imported = await importWithAgent(server, admin, cp, 'usage');
  const { clusterId } = imported;
  const read = async () => {
    const r = await server.call(`/v3/clusters/${clusterId}`, { token: admin });
    return { requested: r.json.requested as Use, limits: r.json.limits as Use };
  };
  // What already runs (the agent's own Deployment, whose pod kwok runs too) is the baseline, once
  // the status counts every unfinished pod kubectl sees.
  const unfinished = async () =>
    (
      await kubectl(
        cp,
        'get',
        'pods',
        '-A',
        '--field-selector=spec.nodeName!=,status.phase!=Succeeded,status.phase!=Failed',
        '-o',
        'name',
      )
    ).stdout
      .split('\n')
      .filter(Boolean).length;
  await eventually(async () => {
    if ((await unfinished()) === 0) throw new Error('the agent Deployment has no pod yet');
  }, "the agent Deployment's pod");
  const base = await eventually(async () => {
    const [u, pods] = await Promise.all([read(), unfinished()]);
    if (amount(u.requested, 'pods') !== pods) throw new Error(`requested ${JSON.stringify(u.requested)}, ${pods} pods`);
    return u;
  }, 'status.requested to count the pods already there');
  expect(amount(base.requested, 'cpu')).toBeGreaterThanOrEqual(0.05); // the agent asks for 50m
  const expectUse = (replicas: number, what: string) =>
    eventually(async () => {
      const u = await read();
      const got = {
        cpu: amount(u.requested, 'cpu') - amount(base.requested, 'cpu'),
        memory: amount(u.requested, 'memory') - amount(base.requested, 'memory'),
        pods: amount(u.requested, 'pods') - amount(base.requested, 'pods'),
        cpuLimit: amount(u.limits, 'cpu') - amount(base.limits, 'cpu'),
        memoryLimit: amount(u.limits, 'memory') - amount(base.limits, 'memory'),
      };
      const want = {
        cpu: 0.25 * replicas,
        memory: 64 * 2 ** 20 * replicas,
        pods: replicas,
        cpuLimit: 0.5 * replicas,
        memoryLimit: 128 * 2 ** 20 * replicas,
      };
      // Float sums of "250m" steps: compare to the millicore.
      got.cpu = Math.round(got.cpu * 1000) / 1000;
      got.cpuLimit = Math.round(got.cpuLimit * 1000) / 1000;
      expect(got).toEqual(want);
      return u;
    }, what);

  const dir = await testDir('usage-manifests');
  await writeFile(join(dir, 'web.yaml'), MANIFESTS);
  await writeFile(join(dir, 'job.yaml'), JOB);
  await kubectl(cp, 'apply', '-f', join(dir, 'web.yaml'));
  const three = await expectUse(3, 'requests and limits of 3 replicas');
  // In the same form as capacity: cpu in millicores or cores, memory in Ki.
  expect(three.requested!.cpu).toMatch(/^\d+m?$/);
  expect(three.requested!.memory).toMatch(/^\d+Ki$/);
  const capacity = (await server.call(`/v3/clusters/${clusterId}`, { token: admin })).json.capacity;
  expect(capacity.memory).toMatch(/^\d+Ki$/);

  await kubectl(cp, 'scale', 'deployment', 'web', '--replicas=1');
  await expectUse(1, 'requests and limits of 1 replica');

  // A pod no node can take reserves nothing (the scheduler's and Rancher's count). Once the
  // scheduler has turned it down, a later change shows up alone: the pod's earlier event was seen.
  await writeFile(join(dir, 'nowhere.yaml'), NOWHERE);
  await kubectl(cp, 'apply', '-f', join(dir, 'nowhere.yaml'));
  await eventually(async () => {
    const why = (
      await kubectl(
        cp,
        'get',
        'pod',
        'nowhere',
        '-o',
        'jsonpath={.status.conditions[?(@.type=="PodScheduled")].reason}',
      )
    ).stdout;
    if (why !== 'Unschedulable') throw new Error(`PodScheduled reason "${why}"`);
  }, 'the scheduler to find no node for the pod');
  await kubectl(cp, 'scale', 'deployment', 'web', '--replicas=2');
  await expectUse(2, 'an unschedulable pod to reserve nothing');
  await kubectl(cp, 'delete', 'pod', 'nowhere', '--wait=true');
  await kubectl(cp, 'scale', 'deployment', 'web', '--replicas=1');
  await expectUse(1, 'back to 1 replica');

  // kwok runs a Job's pod and then marks it Succeeded: a finished pod no longer counts.
  await kubectl(cp, 'apply', '-f', join(dir, 'job.yaml'));
  await eventually(async () => {
    const phase = (await kubectl(cp, 'get', 'pods', '-l', 'job-name=once', '-o', 'jsonpath={.items[*].status.phase}'))
      .stdout;
    if (phase !== 'Succeeded') throw new Error(`job pod phase "${phase}"`);
  }, 'the job pod to succeed');
  await expectUse(1, 'the finished job pod to count for nothing');

  // While the agent is away nothing is followed; its next connection lists the pods again.
  await imported.killAgent();
  await waitForState(server, admin, clusterId, 'unavailable');
  await kubectl(cp, 'scale', 'deployment', 'web', '--replicas=2');
  await imported.startAgent();
  await waitForState(server, admin, clusterId, 'active');
  await expectUse(2, 'the pods changed while disconnected, listed again on reconnect');

  await kubectl(cp, 'delete', 'deployment', 'web', '--wait=true');
  await expectUse(0, 'no use once the deployment is gone');
}, 300_000);
