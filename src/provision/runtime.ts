/**
 * The container runtime plane: on every node that has no container runtime of its own, Corral
 * uploads containerd, runc, ctr and the CNI plugins and runs containerd as one of its supervised
 * units (where RKE needs Docker installed, a Corral node needs only SSH). Every node then gets the
 * system images (pause, flannel, CoreDNS, metrics-server, toolbox) loaded from one OCI archive, so
 * no node pulls anything from the internet. Level-triggered: what is already there is left alone.
 */
import { createHash } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { CNI_PLUGINS, RUNTIME_BINARIES, runtimeBinDir } from '../kube/binaries.js';
import { agentImage } from '../images/agent-image.js';
import { systemImages, type SystemImages } from '../images/system-images.js';
import { pollUntil } from '../util/poll.js';
import type { ClusterConfig, NodeConfig } from './config/types.js';
import { ProvisionError } from './errors.js';
import {
  BINARY_HASHES_FILE,
  localFileHash,
  shellQuote,
  syncBinaries,
  syncFiles,
  type BinaryUploader,
  type FileSpec,
} from './files.js';
import type { NodeIo } from './node-io.js';
import type { Progress } from './progress.js';
import { applyUnit, removeUnit, type SupervisorMode, type UnitSpec } from './supervisor/index.js';
import { RUNTIME_SOCKET } from './worker-plane.js';

export const CONTAINERD_UNIT = 'containerd';
export const CONTAINERD_CONFIG = '/etc/containerd/config.toml';
export const CNI_BIN_DIR = '/opt/cni/bin';
export const CNI_CONF_DIR = '/etc/cni/net.d';
/** Where the image archive is kept on a node (its hash says whether it is the current one). */
export const IMAGES_DIR = '/var/lib/corral/images';
/** The namespace the CRI plugin, hence kubelet, sees images in. */
const K8S_NAMESPACE = 'k8s.io';

export interface RuntimePlan {
  /** Nodes (by address) where Corral runs its own containerd. */
  ours: Set<string>;
  /** Nodes (by address) where kubelet can run: Corral's containerd or one the node already had. */
  runtime: Map<string, boolean>;
}

/**
 * Who provides each node's runtime, decided in preflight from what answers at the socket: a
 * runtime the node runs itself is used as is; otherwise Corral's, unless container_runtime says
 * `existing`. A containerd Corral started earlier counts as Corral's (its unit is installed).
 */
export async function planRuntime(
  config: ClusterConfig,
  io: NodeIo,
  installedUnits: ReadonlySet<string>,
): Promise<{ ours: boolean; runtime: boolean }> {
  const ours = installedUnits.has(CONTAINERD_UNIT);
  if (ours) return { ours: true, runtime: true };
  const socket = (await io.run(`test -S ${RUNTIME_SOCKET}`)).code === 0;
  if (socket) return { ours: false, runtime: true };
  const install = config.corral.container_runtime === 'containerd';
  return { ours: install, runtime: install };
}

/**
 * What a node needs to run Corral's containerd, checked before anything changes: cgroups with the
 * controllers kubelet and runc need, overlayfs for images, the bridge netfilter hooks Services
 * need between pods on one node, and iptables for kube-proxy and the CNI port mappings.
 */
export async function runtimePreflight(io: NodeIo): Promise<string[]> {
  const script = [
    'echo "cgroupfs=$(stat -fc %T /sys/fs/cgroup 2>/dev/null)"',
    'echo "controllers=$(if [ -f /sys/fs/cgroup/cgroup.controllers ]; then cat /sys/fs/cgroup/cgroup.controllers; else ls /sys/fs/cgroup 2>/dev/null | tr "\\n" " "; fi)"',
    'echo "overlay=$(grep -cw overlay /proc/filesystems)"',
    'echo "brnf=$([ -e /proc/sys/net/bridge/bridge-nf-call-iptables ] && echo 1 || echo 0)"',
    'echo "iptables=$(command -v iptables >/dev/null && command -v iptables-restore >/dev/null && echo 1 || echo 0)"',
  ].join('; ');
  const res = await io.run(script, { timeoutMs: 20_000 });
  const facts = new Map(
    res.stdout
      .split('\n')
      .map((l) => l.split('='))
      .filter((p) => p.length >= 2)
      .map(([k, ...v]) => [k!, v.join('=')]),
  );
  const problems: string[] = [];
  const fs = facts.get('cgroupfs') ?? '';
  const controllers = new Set((facts.get('controllers') ?? '').split(/\s+/).filter(Boolean));
  if (fs !== 'cgroup2fs' && fs !== 'tmpfs') {
    problems.push('no cgroup file system at /sys/fs/cgroup: containers need cgroups (mount cgroup v2 there, or v1)');
  } else {
    const missing = ['cpu', 'memory', 'pids'].filter((c) => !controllers.has(c));
    if (missing.length)
      problems.push(
        `the cgroup controller(s) ${missing.join(', ')} are not available at /sys/fs/cgroup: containers need cpu, memory and pids`,
      );
  }
  if (facts.get('overlay') === '0')
    problems.push('the kernel has no overlay file system, which container images need: run `modprobe overlay`');
  if (facts.get('brnf') === '0')
    problems.push(
      'the kernel module br_netfilter is not loaded (Services between pods on one node need it): run `modprobe br_netfilter`',
    );
  if (facts.get('iptables') === '0')
    problems.push(
      'iptables and iptables-restore are missing (kube-proxy and the CNI port mappings need them): install iptables',
    );
  return problems;
}

/**
 * containerd's configuration: CRI with the pause image Corral loads, runc by absolute path, the CNI
 * folders; `restrictOomScoreAdj` where root may not lower OOM scores (see canLowerOomScore).
 */
export function containerdConfig(binDir: string, pauseImage: string, restrictOomScoreAdj = false): string {
  return `# Written by corral up; changes here are replaced on the next run.
version = 3
root = '/var/lib/containerd'
state = '/run/containerd'

[grpc]
  address = '${RUNTIME_SOCKET}'

[plugins.'io.containerd.cri.v1.images']
  snapshotter = 'overlayfs'
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = '${pauseImage}'
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = '/etc/containerd/certs.d'

[plugins.'io.containerd.cri.v1.runtime']
  restrict_oom_score_adj = ${restrictOomScoreAdj}
  [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
    runtime_type = 'io.containerd.runc.v2'
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
      BinaryName = '${binDir}/runc'
      # kubelet's cgroupDriver is cgroupfs too (components.ts): the two must agree.
      SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ['${CNI_BIN_DIR}']
    conf_dir = '${CNI_CONF_DIR}'
`;
}

export function containerdSpec(
  binDir: string,
  pauseImage: string,
  binaryHash: string,
  restrictOomScoreAdj = false,
): UnitSpec {
  const config = containerdConfig(binDir, pauseImage, restrictOomScoreAdj);
  const spec = {
    name: CONTAINERD_UNIT,
    binary: `${binDir}/containerd`,
    args: ['--config', CONTAINERD_CONFIG],
    // The shim is found on PATH.
    env: { PATH: `${binDir}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin` },
    files: [{ path: CONTAINERD_CONFIG, content: config, mode: 0o644 }],
  };
  const hash = createHash('sha256').update(JSON.stringify(spec)).update(binaryHash).digest('hex');
  return { ...spec, hash };
}

export interface RuntimeInput {
  config: ClusterConfig;
  conns: Map<string, NodeIo & BinaryUploader>;
  modes: Map<string, SupervisorMode>;
  plan: RuntimePlan;
  progress: Progress;
}

/**
 * Makes every node that should have Corral's containerd run it, and loads the system images into
 * every node that has a runtime. Returns what changed and the images (null when no node runs
 * containers, so nothing was built).
 */
export async function reconcileRuntime(
  input: RuntimeInput,
): Promise<{ changed: string[]; images: SystemImages | null }> {
  const { config, conns, modes, plan, progress } = input;
  const changed: string[] = [];
  const withRuntime = config.nodes.filter((n) => plan.runtime.get(n.address));
  if (!withRuntime.length) return { changed, images: null };
  const local = runtimeBinDir();
  const images = await systemImages(local).catch((err: Error) => {
    throw new ProvisionError(`cannot build the system images: ${err.message}`);
  });
  // The agent's image lets the cluster be imported into a Corral server without any registry; a
  // cluster runs without it, so a failure to build it is reported, not fatal.
  const agent = await agentImage(join(local, '..', 'images')).catch((err: Error) => {
    progress.info(`the agent image was not built (importing this cluster needs it from a registry): ${err.message}`);
    return null;
  });
  const archives = [
    { archive: images.archive, refs: Object.values(images.refs), what: 'system images' },
    ...(agent ? [{ archive: agent.archive, refs: [agent.ref], what: `agent image ${agent.ref}` }] : []),
  ];
  const remoteBin = config.corral.binaries.path;
  const pause = config.system_images.pod_infra_container ?? images.refs.pause;
  const binaryHash = createHash('sha256');
  for (const b of RUNTIME_BINARIES) binaryHash.update(b).update(await localFileHash(join(local, b)));
  const binariesDigest = binaryHash.digest('hex');

  await Promise.all(
    withRuntime.map(async (node: NodeConfig) => {
      const io = conns.get(node.address)!;
      // Our ctr talks to any containerd, so it is uploaded to nodes with their own runtime too.
      const names = plan.ours.has(node.address) ? [...RUNTIME_BINARIES] : ['ctr'];
      const uploaded = await syncBinaries(io, local, remoteBin, names);
      if (plan.ours.has(node.address)) {
        uploaded.push(...(await syncBinaries(io, join(local, 'cni'), CNI_BIN_DIR, CNI_PLUGINS)));
        const spec = containerdSpec(remoteBin, pause, binariesDigest, !(await canLowerOomScore(io)));
        const result = await applyUnit(io, spec, modes.get(node.address)!);
        if (result !== 'unchanged') {
          changed.push(`${node.address}/containerd`);
          progress.node(node.address, `containerd ${result}`);
        }
      }
      if (uploaded.length) {
        changed.push(...uploaded.map((b) => `${node.address}/bin/${b}`));
        progress.node(node.address, `uploaded ${uploaded.join(', ')}`);
      }
      await waitForRuntime(io, remoteBin);
      const registries = await syncRegistries(io, config);
      if (registries.length) {
        changed.push(...registries.map((p) => `${node.address}:${p}`));
        progress.node(node.address, `registry settings written (${config.private_registries.length} registries)`);
      }
      for (const a of archives)
        if (await loadImages(io, remoteBin, a)) {
          changed.push(`${node.address}/${a.what}`);
          progress.node(node.address, `${a.what} loaded (${a.refs.length})`);
        }
    }),
  );
  return { changed, images };
}

/**
 * Whether root on the node holds CAP_SYS_RESOURCE, which lowering a process's oom_score_adj below
 * its parent's needs (pod sandboxes get -998). Some container hosts and sandboxes withhold it; there
 * containerd must keep containers' scores at or above its own, or no pod starts.
 */
async function canLowerOomScore(io: NodeIo): Promise<boolean> {
  const hex = (await io.run("awk '/^CapEff:/ {print $2}' /proc/self/status")).stdout.trim();
  const CAP_SYS_RESOURCE = 24n;
  return /^[0-9a-f]+$/i.test(hex) && ((BigInt(`0x${hex}`) >> CAP_SYS_RESOURCE) & 1n) === 1n;
}

export const CERTS_DIR = '/etc/containerd/certs.d';
/** kubelet reads pull credentials from config.json in its root folder and hands them to the runtime. */
export const KUBELET_PULL_CREDENTIALS = '/var/lib/kubelet/config.json';
const OWNED_MARK = '.corral';

/**
 * private_registries on a node: containerd's hosts.toml (and the registry's CA) per registry, and
 * the credentials where kubelet reads them (the docker config.json in its root folder, as RKE
 * writes it), so they work with any CRI runtime. A registry removed from cluster.yml loses its
 * folder; folders Corral did not write are left alone.
 */
async function syncRegistries(io: NodeIo, config: ClusterConfig): Promise<string[]> {
  const files: FileSpec[] = [];
  for (const reg of config.private_registries) {
    const dir = `${CERTS_DIR}/${reg.url}`;
    const ca = reg.ca_cert ? `\nca = '${dir}/ca.crt'` : '';
    files.push(
      {
        path: `${dir}/hosts.toml`,
        content: `server = 'https://${reg.url}'\n\n[host.'https://${reg.url}']\ncapabilities = ['pull', 'resolve']${ca}\n`,
        mode: 0o644,
      },
      { path: `${dir}/${OWNED_MARK}`, content: 'written by corral up\n', mode: 0o644 },
    );
    if (reg.ca_cert) files.push({ path: `${dir}/ca.crt`, content: reg.ca_cert.trim() + '\n', mode: 0o644 });
  }
  const auths = Object.fromEntries(
    config.private_registries
      .filter((r) => r.user)
      .map((r) => [r.url, { auth: Buffer.from(`${r.user}:${r.password}`).toString('base64') }]),
  );
  files.push({ path: KUBELET_PULL_CREDENTIALS, content: `${JSON.stringify({ auths }, null, 2)}\n`, mode: 0o600 });
  const written = await syncFiles(io, files);
  // Registry URLs are host[:port] (checked when cluster.yml is read): no quoting needed in the list.
  const keep = config.private_registries.map((r) => `${CERTS_DIR}/${r.url}`).join(' ');
  const pruned = await io.run(
    `for d in ${CERTS_DIR}/*/; do d=\${d%/}; [ -f "$d/${OWNED_MARK}" ] || continue; ` +
      `case " ${keep} " in *" $d "*) ;; *) rm -rf "$d"; echo "$d";; esac; done 2>/dev/null; true`,
  );
  return [
    ...written,
    ...pruned.stdout
      .split('\n')
      .filter(Boolean)
      .map((d) => `${d} (removed)`),
  ];
}

const ctr = (binDir: string, args: string) =>
  `${binDir}/ctr --address ${RUNTIME_SOCKET} --namespace ${K8S_NAMESPACE} ${args}`;

async function waitForRuntime(io: NodeIo, binDir: string): Promise<void> {
  let last = '';
  await pollUntil(
    async () => {
      const r = await io.run(ctr(binDir, 'version'), { timeoutMs: 10_000 });
      last = (r.stderr || r.stdout).trim();
      if (r.code !== 0) throw new Error(last);
    },
    { timeoutMs: 60_000, intervalMs: 300, what: `containerd on ${io.label} to answer at ${RUNTIME_SOCKET}` },
  ).catch(async (err: Error) => {
    const log = await io.run('tail -n 20 /var/log/corral/containerd.log 2>/dev/null');
    throw new ProvisionError(`${err.message}${log.stdout ? `; last lines of its log:\n${log.stdout}` : ''}`);
  });
}

/**
 * Loads the archive when an image of it is missing from the node's runtime (a new archive, or a
 * runtime whose state was wiped): the images themselves are the truth, not a marker file. The
 * images are pinned, so kubelet's image garbage collection never removes them.
 */
async function loadImages(
  io: NodeIo & BinaryUploader,
  binDir: string,
  images: { archive: string; refs: string[] },
): Promise<boolean> {
  const have = new Set((await io.run(ctr(binDir, 'images ls -q'))).stdout.split('\n').map((l) => l.trim()));
  const refs = images.refs;
  if (refs.every((r) => have.has(r))) return false;
  const name = basename(images.archive);
  await syncBinaries(io, dirname(images.archive), IMAGES_DIR, [name]);
  const archive = `${IMAGES_DIR}/${name}`;
  const imported = await io.run(ctr(binDir, `images import ${shellQuote(archive)}`), {
    timeoutMs: 300_000,
  });
  if (imported.code !== 0)
    throw new ProvisionError(`${io.label}: loading the system images failed: ${imported.stderr.trim()}`);
  for (const ref of refs) {
    const pin = await io.run(ctr(binDir, `images label ${shellQuote(ref)} io.cri-containerd.pinned=pinned`));
    if (pin.code !== 0) throw new ProvisionError(`${io.label}: ${ref} was not loaded: ${pin.stderr.trim()}`);
  }
  // Older archives of the same kind are of no use any more.
  const kind = name.replace(/-[0-9a-f]+\.tar$/, '');
  await io.run(`find ${IMAGES_DIR} -maxdepth 1 -name '${kind}-*.tar' ! -name ${shellQuote(name)} -delete`);
  return true;
}

/**
 * Stops every container of Corral's containerd and removes what containers leave on a node: their
 * processes (the runtime's shims outlive containerd), mounts, pod network namespaces and
 * interfaces, the runtime's state and the uploaded plugins and images. kubelet must be stopped first.
 */
export async function cleanRuntime(io: NodeIo, binDir: string): Promise<void> {
  const c = ctr(binDir, '');
  await io.run(
    [
      `for id in $(${c} tasks ls -q 2>/dev/null); do ${c} tasks kill -s SIGKILL "$id" >/dev/null 2>&1; done`,
      'sleep 1',
      `for id in $(${c} tasks ls -q 2>/dev/null); do ${c} tasks delete -f "$id" >/dev/null 2>&1; done`,
      `for id in $(${c} containers ls -q 2>/dev/null); do ${c} containers delete "$id" >/dev/null 2>&1; done`,
      'true',
    ].join('; '),
    { timeoutMs: 120_000 },
  );
  await removeUnit(io, CONTAINERD_UNIT);
  await io.run(
    [
      // Whatever survived: the shims of this runtime and any process left in kubelet's pod cgroups.
      `pkill -KILL -f ${shellQuote(`^${binDir}/containerd-shim-runc-v2`)} 2>/dev/null`,
      'find /sys/fs/cgroup -path "*kubepods*" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -KILL 2>/dev/null',
      'sleep 0.5',
      // Deepest first: volumes inside a pod's folder before the folder's own mount.
      'awk \'$2 ~ "^(/run/containerd|/var/lib/containerd|/var/lib/kubelet|/run/netns)/" {print $2}\' /proc/self/mounts | sort -r | xargs -r -n1 umount -l 2>/dev/null',
      'for l in cni0 flannel.1; do ip link delete "$l" 2>/dev/null; done',
      'find /sys/fs/cgroup -depth -type d -path "*kubepods*" -exec rmdir {} + 2>/dev/null',
      `rm -rf /var/lib/containerd /run/containerd/* /var/lib/cni/* /run/flannel/* /run/netns/* ${IMAGES_DIR} ${CONTAINERD_CONFIG} ${CNI_CONF_DIR}/10-flannel.conflist`,
      `for p in ${CNI_PLUGINS.join(' ')} ${BINARY_HASHES_FILE}; do rm -f ${CNI_BIN_DIR}/$p; done`,
      'true',
    ].join('; '),
    { timeoutMs: 120_000 },
  );
}
