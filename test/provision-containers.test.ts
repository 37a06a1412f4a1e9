import { execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { cluster, clusterRegistrationToken } from '../src/schema/types/index.js';
import { binaryPath, runtimeBinDir } from '../src/kube/binaries.js';
import { writeImageArchive } from '../src/images/oci.js';
import { createCA, issueCertificate } from '../src/pki/certificates.js';
import { freePort } from '../src/localcluster/ports.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TOOLBOX_IMAGE, toolboxSpec } from '../src/images/system-images.js';
import { testDir } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';
import { startNodes, type NodeSet } from './helpers/nodes.js';
import { clusterYml, corralCluster, expectOk, kubectlAt, writeClusterYml } from './helpers/provision.js';
import { generatedKubeconfig, kubectlWith, waitForState } from './helpers/clusters.js';
import { adminToken, startTestServer } from './helpers/server.js';

const execFileP = promisify(execFile);

/**
 * Real worker nodes: `corral up` on three test nodes that have nothing but sshd (each its own
 * network, mount, PID and cgroup namespace) uploads and runs containerd, runc and the CNI plugins,
 * loads the images Corral builds, runs kubelet, kube-proxy and flannel, and deploys CoreDNS and
 * metrics-server. Real containers then run, talk across nodes and resolve Services by name.
 */
describe('corral up: nodes that run real containers', { timeout: 900_000 }, () => {
  let set: NodeSet;
  let dir: string;
  let config: string;
  let kubeconfig: string;
  const layout = [
    { index: 0, role: ['controlplane' as const, 'etcd' as const] },
    { index: 1, role: ['worker' as const] },
    { index: 2, role: ['worker' as const] },
  ];
  const k = (...args: string[]) => kubectlAt(kubeconfig, ...args);
  const kOk = async (...args: string[]) => {
    const r = await k(...args);
    if (r.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  // An HTTP GET from inside a pod with busybox nc (Debian's static busybox wget crashes with -T).
  const httpGet = async (pod: string, host: string) => {
    const out = await kOk('exec', pod, '--', 'sh', '-c', `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 10 ${host} 8080`);
    expect(out).toMatch(/^HTTP\/1\.[01] 200/);
    return out.trim().split('\n').at(-1)!.trim();
  };
  const echoPods = async () =>
    JSON.parse(await kOk('get', 'pods', '-l', 'app=echo', '-o', 'json')).items as {
      metadata: { name: string; uid: string };
      spec: { nodeName: string };
      status: { phase: string; podIP: string };
    }[];

  beforeAll(async () => {
    set = await startNodes(3);
    dir = await testDir('provision-containers');
    config = await writeClusterYml(dir, clusterYml(set, layout, '', { containers: true }));
    kubeconfig = join(dir, 'kube_config_cluster.yml');
  }, 120_000);
  afterAll(async () => {
    await set?.stop();
  });

  it('installs the runtime on bare nodes; all nodes Ready, CoreDNS and metrics-server available', async () => {
    const r = expectOk(await corralCluster(set, config, ['up']), 'corral up');
    expect(r.stderr).toContain('container runtime and system images');
    expect(r.stderr).toMatch(/containerd started/);
    expect(r.stderr).toMatch(/pod network 10\.42\.\d+\.1\/24 configured/);
    expect(r.stderr).toContain('3 node(s) Ready');
    const nodes = JSON.parse(await kOk('get', 'nodes', '-o', 'json')).items as {
      metadata: { name: string };
      status: { conditions: { type: string; status: string }[]; nodeInfo: { containerRuntimeVersion: string } };
    }[];
    expect(nodes.map((n) => n.metadata.name).sort()).toEqual(set.nodes.map((n) => n.name).sort());
    for (const n of nodes) {
      expect(n.status.conditions.find((c) => c.type === 'Ready')?.status).toBe('True');
      expect(n.status.nodeInfo.containerRuntimeVersion).toMatch(/^containerd:\/\/2\./);
    }
    for (const d of ['coredns', 'metrics-server']) {
      const available = await kOk(
        '-n',
        'kube-system',
        'get',
        'deployment',
        d,
        '-o',
        'jsonpath={.status.conditions[?(@.type=="Available")].status}',
      );
      expect(available).toBe('True');
    }
    // The containerd is Corral's own, supervised, on a node that had none.
    const units = await set.exec(1, 'ls /opt/rke/units');
    expect(units.stdout).toContain('containerd.run');
    expect(units.stdout).toContain('flannel.run');
  });

  it('a second run changes nothing', async () => {
    const r = expectOk(await corralCluster(set, config, ['up']), 'corral up again');
    expect(r.stderr).toContain('nothing changed');
  });

  it('runs the toolbox image on both workers: pod to pod across nodes, Service names, logs and exec', async () => {
    const manifest = join(dir, 'echo.yaml');
    await writeFile(manifest, echoManifest());
    await kOk('apply', '-f', manifest);
    await kOk('rollout', 'status', 'deployment/echo', '--timeout=180s');
    const pods = await echoPods();
    expect(pods).toHaveLength(2);
    expect(new Set(pods.map((p) => p.spec.nodeName))).toEqual(new Set([set.nodes[1]!.name, set.nodes[2]!.name]));
    const [a, b] = pods as [(typeof pods)[0], (typeof pods)[0]];

    // Across nodes, by pod address: the answer is the other pod's hostname.
    expect(await httpGet(a.metadata.name, b.status.podIP)).toBe(b.metadata.name);
    // By Service name, through CoreDNS and kube-proxy: both pods answer in turn, whichever node they are on.
    const lookup = await kOk('exec', a.metadata.name, '--', 'nslookup', 'echo.default.svc.cluster.local');
    const clusterIp = await kOk('get', 'service', 'echo', '-o', 'jsonpath={.spec.clusterIP}');
    expect(lookup).toContain(clusterIp);
    const answers = new Set<string>();
    await eventually(async () => {
      answers.add(await httpGet(a.metadata.name, 'echo'));
      expect([...answers].sort()).toEqual([a.metadata.name, b.metadata.name].sort());
    }, 'both pods to answer through the echo Service');

    // kubectl logs and exec reach the real containers through the kubelets.
    expect(await kOk('logs', b.metadata.name)).toContain(`serving ${b.metadata.name}`);
    expect((await kOk('exec', b.metadata.name, '--', 'cat', '/etc/hostname')).trim()).toBe(b.metadata.name);
  });

  it('kubectl top nodes works through metrics-server', async () => {
    const out = await eventually(
      async () => {
        const r = await k('top', 'nodes', '--no-headers');
        expect(r.code, r.stderr).toBe(0);
        return r.stdout;
      },
      'node metrics',
      180_000,
    );
    for (const n of set.nodes) expect(out).toMatch(new RegExp(`^${n.name}\\s+\\d+m\\s+\\d+%\\s+\\d+Mi`, 'm'));
  });

  it('imports into a Corral server for real: the agent runs as the manifest’s pod from the image corral up loaded', async () => {
    // The server listens where the pods can reach it: this machine, at the nodes' gateway.
    const port = await freePort();
    const server = await startTestServer({
      port,
      args: ['--listen', `0.0.0.0:${port}`, '--server-url', `https://${set.gateway}:${port}`],
    });
    try {
      const token = await adminToken(server);
      const api = server.client(token);
      const clusterId = String((await api.create(cluster, { name: 'real-nodes' })).id);
      const command = String((await api.list(clusterRegistrationToken, { clusterId }))[0]?.insecureCommand);
      expect(command).toContain(`https://${set.gateway}:${port}/v3/import/`);
      // As a user would: the printed command, with this cluster's kubeconfig.
      const kubectl = await binaryPath('kubectl');
      await execFileP('sh', ['-c', command], {
        env: { ...process.env, KUBECONFIG: kubeconfig, PATH: `${dirname(kubectl)}:${process.env.PATH}` },
      });
      // The manifest's Deployment runs the image `corral up` loaded (its pod may not exist yet).
      const image = await kOk(
        '-n',
        'corral-system',
        'get',
        'deployment',
        'corral-agent',
        '-o',
        'jsonpath={.spec.template.spec.containers[0].image}',
      );
      expect(image).toMatch(/^corral\.local\/agent:/);
      await waitForState(server, token, clusterId, 'active', 240_000).catch(async (err: Error) => {
        const logs = await k('-n', 'corral-system', 'logs', 'deployment/corral-agent', '--tail=30');
        const pods = await k('-n', 'corral-system', 'get', 'pods', '-o', 'wide');
        throw new Error(`${err.message}\n${pods.stdout}\n${logs.stdout}${logs.stderr}`);
      });

      // kubectl through Corral's proxy and the agent's tunnel reaches the real containers.
      const viaCorral = await generatedKubeconfig(server, token, clusterId);
      const pod = (await echoPods())[0]!.metadata.name;
      const logs = await kubectlWith(viaCorral, 'logs', pod);
      expect(logs.stdout, logs.stderr).toContain(`serving ${pod}`);
      const exec = await kubectlWith(viaCorral, 'exec', pod, '--', 'cat', '/etc/hostname');
      expect(exec.stdout.trim(), exec.stderr).toBe(pod);
    } finally {
      await server.stop();
    }
  });

  it('an upgrade with drain moves the pods off each node in turn and brings them back to Running', async () => {
    const before = await echoPods();
    await writeClusterYml(
      dir,
      clusterYml(
        set,
        layout,
        [
          'services:',
          '  kubelet:',
          '    extra_args: {v: "3"}',
          'upgrade_strategy:',
          '  max_unavailable_worker: 1',
          '  drain: true',
          '  node_drain_input: {delete_local_data: true, grace_period: 1, timeout: 120}',
          '',
        ].join('\n'),
        { containers: true },
      ),
    );
    const r = expectOk(await corralCluster(set, config, ['up']), 'corral up (kubelet upgrade with drain)');
    for (const n of set.nodes) expect(r.stderr).toContain(`${n.address}: drained`);
    await kOk('rollout', 'status', 'deployment/echo', '--timeout=180s');
    const after = await eventually(async () => {
      const pods = await echoPods();
      expect(pods.filter((p) => p.status.phase === 'Running')).toHaveLength(2);
      return pods;
    }, 'the echo pods to run again');
    // Every pod was evicted by a drain and made again.
    const oldUids = new Set(before.map((p) => p.metadata.uid));
    expect(after.filter((p) => oldUids.has(p.metadata.uid))).toEqual([]);
    const nodes = await kOk('get', 'nodes', '-o', 'jsonpath={range .items[*]}{.spec.unschedulable}{"\\n"}{end}');
    expect(nodes.trim()).toBe(''); // all uncordoned
  });

  it('pulls from a private registry (real distribution, TLS from a private CA, basic auth) named in private_registries', async () => {
    // The registry, on this machine at the nodes' gateway, with its own CA and a password.
    const regDir = await testDir('registry');
    const port = await freePort();
    const host = `${set.gateway}:${port}`;
    const ca = await createCA({ commonName: 'registry-test-ca', validityDays: 1 });
    const cert = await issueCertificate(ca, {
      commonName: set.gateway,
      usages: ['server'],
      altNames: [set.gateway],
      validityDays: 1,
    });
    await writeFile(join(regDir, 'cert.pem'), cert.certPem + ca.certPem);
    await writeFile(join(regDir, 'key.pem'), cert.keyPem, { mode: 0o600 });
    const password = `pw-${process.pid}-registry`;
    await execFileP('sh', ['-c', `htpasswd -Bbn puller ${password} > ${join(regDir, 'htpasswd')}`]);
    await writeFile(
      join(regDir, 'config.yml'),
      [
        'version: 0.1',
        'log: {level: warn}',
        `storage: {filesystem: {rootdirectory: ${join(regDir, 'data')}}}`,
        `http: {addr: "${host}", tls: {certificate: ${join(regDir, 'cert.pem')}, key: ${join(regDir, 'key.pem')}}}`,
        `auth: {htpasswd: {realm: corral-test, path: ${join(regDir, 'htpasswd')}}}`,
        '',
      ].join('\n'),
    );
    const registry = spawn(join(runtimeBinDir(), 'registry'), ['serve', join(regDir, 'config.yml')], {
      stdio: 'ignore',
    });
    try {
      // An image only this registry has: the toolbox under another name, pushed with skopeo.
      const archive = join(regDir, 'hello.tar');
      await writeImageArchive([{ ...(await toolboxSpec('hello')), ref: 'hello' }], archive);
      await writeFile(join(regDir, 'ca.crt'), ca.certPem);
      await eventually(
        () =>
          execFileP('skopeo', [
            'copy',
            '--dest-creds',
            `puller:${password}`,
            '--dest-cert-dir',
            regDir,
            `oci-archive:${archive}:hello`,
            `docker://${host}/team/hello:1`,
          ]),
        'skopeo to push to the registry',
      );
      const pod = (name: string) => `apiVersion: v1
kind: Pod
metadata: {name: ${name}}
spec:
  terminationGracePeriodSeconds: 0
  containers:
    - {name: c, image: "${host}/team/hello:1", imagePullPolicy: Always, command: [sh, -c, 'echo pulled; sleep 3600']}
`;
      // Without the registry in cluster.yml the nodes neither trust it nor have the password.
      await writeFile(join(dir, 'denied.yaml'), pod('denied'));
      await kOk('apply', '-f', join(dir, 'denied.yaml'));
      const reason = await eventually(async () => {
        const r = await kOk(
          'get',
          'pod',
          'denied',
          '-o',
          'jsonpath={.status.containerStatuses[0].state.waiting.reason}',
        );
        expect(r).toMatch(/ErrImagePull|ImagePullBackOff/);
        return r;
      }, 'the pull to fail');
      expect(reason).toMatch(/ErrImagePull|ImagePullBackOff/);

      const withRegistry = clusterYml(
        set,
        layout,
        [
          'private_registries:',
          `  - url: "${host}"`,
          '    user: puller',
          `    password: ${password}`,
          '    ca_cert: |',
          ...ca.certPem
            .trim()
            .split('\n')
            .map((l) => `      ${l}`),
          '',
        ].join('\n'),
        { containers: true },
      );
      await writeClusterYml(dir, withRegistry);
      const r = expectOk(await corralCluster(set, config, ['up']), 'corral up with private_registries');
      expect(r.stderr).toMatch(/registry settings written \(1 registries\)/);
      expect(r.stdout + r.stderr).not.toContain(password);
      await writeFile(join(dir, 'allowed.yaml'), pod('allowed'));
      await kOk('apply', '-f', join(dir, 'allowed.yaml'));
      await kOk('wait', '--for=condition=Ready', 'pod/allowed', '--timeout=120s');
      expect((await kOk('logs', 'allowed')).trim()).toBe('pulled');
      await kOk('delete', 'pod', 'allowed', 'denied', '--grace-period=0', '--wait=false');
    } finally {
      registry.kill();
    }
  });

  it('corral remove leaves no process, mount or interface of the runtime behind', async () => {
    expectOk(await corralCluster(set, config, ['remove', '--force']), 'corral remove');
    for (const i of [0, 1, 2]) {
      const ps = await set.exec(i, 'ps -eo comm=');
      const left = ps.stdout
        .split('\n')
        .map((l) => l.trim())
        .filter((c) => /containerd|kubelet|kube-proxy|flanneld|pause|httpd|coredns|metrics-server|runc/.test(c));
      expect(left, `processes on node ${i}`).toEqual([]);
      const mounts = await set.exec(
        i,
        'awk \'$2 ~ "^(/run/containerd|/var/lib/containerd|/var/lib/kubelet|/run/netns)/" {print $2}\' /proc/self/mounts',
      );
      expect(mounts.stdout.trim(), `mounts on node ${i}`).toBe('');
      const links = await set.exec(i, "ip -o link show | awk -F': ' '{print $2}' | cut -d@ -f1");
      expect(links.stdout.trim().split('\n').sort(), `interfaces on node ${i}`).toEqual(['eth0', 'lo']);
      const state = await set.exec(i, 'find /var/lib/containerd /opt/cni/bin /etc/cni/net.d -mindepth 1 2>/dev/null');
      expect(state.stdout.trim(), `runtime files on node ${i}`).toBe('');
    }
  });
});

describe('corral up: a node that cannot run containers', { timeout: 300_000 }, () => {
  let set: NodeSet;
  let dir: string;
  beforeAll(async () => {
    set = await startNodes(1);
    dir = await testDir('provision-no-cgroups');
  }, 120_000);
  afterAll(async () => {
    await set?.stop();
  });

  it('is refused in preflight with what is missing, before anything changes', async () => {
    // The node sees no cgroup file system, like a host or container without cgroups mounted.
    const umount = await set.exec(0, 'for d in /sys/fs/cgroup/*; do umount "$d"; done; umount /sys/fs/cgroup');
    expect(umount.code, umount.stderr).toBe(0);
    const config = await writeClusterYml(
      dir,
      clusterYml(set, [{ index: 0, role: ['controlplane', 'etcd', 'worker'] }], '', { containers: true }),
    );
    const r = await corralCluster(set, config, ['up']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('preflight checks failed; nothing was changed');
    expect(r.stderr).toMatch(/container runtime: no cgroup file system at \/sys\/fs\/cgroup/);
    const units = await set.exec(0, 'ls -A /opt/rke/units /opt/rke/bin 2>/dev/null');
    expect(units.stdout.trim()).toBe('');
  });
});

function echoManifest(): string {
  return `apiVersion: apps/v1
kind: Deployment
metadata: {name: echo, namespace: default}
spec:
  replicas: 2
  selector: {matchLabels: {app: echo}}
  template:
    metadata: {labels: {app: echo}}
    spec:
      terminationGracePeriodSeconds: 1
      affinity:
        podAntiAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - weight: 100
              podAffinityTerm: {topologyKey: kubernetes.io/hostname, labelSelector: {matchLabels: {app: echo}}}
      containers:
        - name: echo
          image: ${TOOLBOX_IMAGE}
          imagePullPolicy: IfNotPresent
          command: [sh, -c, 'mkdir -p /www && hostname > /www/index.html && echo "serving $(hostname)" && exec httpd -f -p 8080 -h /www']
          ports: [{containerPort: 8080}]
---
apiVersion: v1
kind: Service
metadata: {name: echo, namespace: default}
spec:
  selector: {app: echo}
  ports: [{port: 8080, targetPort: 8080}]
`;
}
