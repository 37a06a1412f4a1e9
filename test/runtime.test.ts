import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { access, constants, open, readFile, readdir, readlink, rmdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { packageRoot } from '../src/util/package-root.js';
import { testDir } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';
import { writeImageArchive } from '../src/images/oci.js';
import { toolboxSpec } from '../src/images/system-images.js';

const execFileP = promisify(execFile);

/** Where `npm run runtime:build` puts containerd, runc and the rest; CORRAL_RUNTIME_BIN_DIR moves it. */
const binDir = process.env.CORRAL_RUNTIME_BIN_DIR ?? join(packageRoot(), '.cache', 'runtime', 'bin');

/** cgroup v1 hierarchies runc puts a container into (this machine's; v2 has one, checked too). */
const CGROUP_ROOT = '/sys/fs/cgroup';
const GOARCH = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;

let dir: string;
let socket: string;
let containerd: ChildProcess | undefined;
let containerdExit: Promise<unknown> | undefined;
/** The containerd namespace and the cgroup parent of this run: unique, so leftovers are findable. */
const tag = `corral-rt-${randomBytes(3).toString('hex')}`;
let snapshotter = 'overlayfs';
/**
 * containerd run as root always puts shim sockets in /run/containerd/s, whatever its state folder
 * (a unix socket path must stay under 108 bytes). The sockets go with their shim; the folders are
 * removed by this test if it created them, and no other entry may appear in them.
 */
const SHIM_SOCKETS = '/run/containerd/s';
let shimSocketsBefore: string[] | undefined;
const createdRunFolders: string[] = [];
/** The container's id, its hostname and its cgroup's name below the run's (`/<tag>/<id>`). */
const CONTAINER = 'hello';

async function ctr(...args: string[]): Promise<string> {
  const { stdout } = await execFileP(join(binDir, 'ctr'), ['--address', socket, '--namespace', tag, ...args], {
    maxBuffer: 16 << 20,
  });
  return stdout;
}

/** Every process whose command line, working folder or root mentions the test folder (but not this one). */
async function processesUsing(path: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      const cmdline = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).replaceAll('\0', ' ');
      const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => '');
      const root = await readlink(`/proc/${pid}/root`).catch(() => '');
      if ([cmdline, cwd, root].some((s) => s.includes(path))) found.push(`${pid}: ${cmdline}`);
    } catch {
      // exited meanwhile
    }
  }
  return found;
}

async function exists(path: string): Promise<boolean> {
  return access(path, constants.F_OK).then(
    () => true,
    () => false,
  );
}

async function mountsUnder(path: string): Promise<string[]> {
  return (await readFile('/proc/self/mountinfo', 'utf8')).split('\n').filter((l) => l.includes(path));
}

/** The cgroup folders named after this run's tag, in every hierarchy. */
async function cgroupsOfRun(): Promise<string[]> {
  const found: string[] = [];
  const hierarchies = await readdir(CGROUP_ROOT).catch(() => [] as string[]);
  for (const h of ['', ...hierarchies]) {
    const p = join(CGROUP_ROOT, h, tag);
    if (await exists(p)) found.push(p);
  }
  return found;
}

beforeAll(async () => {
  for (const bin of ['containerd', 'ctr', 'containerd-shim-runc-v2', 'runc']) {
    await access(join(binDir, bin), constants.X_OK).catch(() => {
      throw new Error(`${bin} not found in ${binDir}: build the runtime with \`npm run runtime:build\``);
    });
  }
  for (const d of ['/run/containerd', SHIM_SOCKETS]) {
    if (!(await exists(d))) createdRunFolders.unshift(d);
  }
  shimSocketsBefore = await readdir(SHIM_SOCKETS).catch(() => []);
  dir = await testDir('containerd');
  socket = join(dir, 'containerd.sock');
  // Overlay needs a kernel module and a backing filesystem that supports it; fall back to the
  // native snapshotter (plain copies) where it is missing, as the issue asks.
  const filesystems = await readFile('/proc/filesystems', 'utf8');
  if (!/\boverlay\b/.test(filesystems)) snapshotter = 'native';

  // A containerd of its own: root, state, sockets and the plugins' folders all in the test folder;
  // CRI (and so CNI) and NRI are off, this test only runs a container through containerd's API.
  const config = `version = 3
root = "${dir}/root"
state = "${dir}/state"
disabled_plugins = [
  "io.containerd.grpc.v1.cri",
  "io.containerd.cri.v1.runtime",
  "io.containerd.cri.v1.images",
  "io.containerd.nri.v1.nri",
  "io.containerd.podsandbox.controller.v1.podsandbox",
  "io.containerd.sandbox.controller.v1.shim",
]

[grpc]
  address = "${socket}"

[ttrpc]
  address = "${socket}.ttrpc"

[debug]
  address = "${dir}/debug.sock"
  level = "info"

[plugins."io.containerd.internal.v1.opt"]
  path = "${dir}/opt"

# Images are unpacked (by the transfer service that ctr import uses) only for the snapshotters listed.
[plugins."io.containerd.transfer.v1.local"]
  unpack_config = [
    { platform = "linux/${GOARCH}", snapshotter = "overlayfs" },
    { platform = "linux/${GOARCH}", snapshotter = "native" },
  ]
`;
  await writeFile(join(dir, 'config.toml'), config);
  const log = await open(join(dir, 'containerd.log'), 'w');
  // containerd finds the shim on its PATH (the built one first); ctr run names runc itself.
  containerd = spawn(join(binDir, 'containerd'), ['--config', join(dir, 'config.toml')], {
    stdio: ['ignore', log.fd, log.fd],
    env: { ...process.env, PATH: `${binDir}:${process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin'}` },
  });
  containerdExit = new Promise((resolve) => containerd!.once('exit', resolve));
  await log.close();
  await eventually(async () => {
    if (containerd!.exitCode !== null) {
      throw new Error(`containerd exited: ${await readFile(join(dir, 'containerd.log'), 'utf8')}`);
    }
    await ctr('version');
  }, 'containerd answers on its socket');
});

/** Best effort, for a test that failed half-way: the test itself asserts that nothing is left. */
afterAll(async () => {
  if (containerd && containerd.exitCode === null) {
    containerd.kill('SIGTERM');
    await containerdExit;
  }
  if (!dir) return;
  // Containers (found by their cgroups) and shims (by the socket address in their command line).
  for (const cg of await cgroupsOfRun()) {
    const procs = await readFile(join(cg, CONTAINER, 'cgroup.procs'), 'utf8').catch(() => '');
    for (const pid of procs.split('\n').filter(Boolean)) killQuietly(Number(pid));
  }
  for (const p of await processesUsing(dir)) killQuietly(Number(p.split(':')[0]));
  const mounts = (await mountsUnder(dir)).map((l) => l.split(' ')[4]!).reverse();
  for (const m of mounts) await execFileP('umount', ['-l', m]).catch(() => undefined);
  await eventually(
    async () => {
      for (const cg of await cgroupsOfRun()) {
        const children = (await readdir(cg, { withFileTypes: true })).filter((e) => e.isDirectory());
        for (const c of children) await rmdir(join(cg, c.name));
        await rmdir(cg);
      }
    },
    "the run's cgroups are removed",
    10_000,
  ).catch(() => undefined);
  // Only if empty: rmdir fails on a folder another containerd uses meanwhile.
  for (const d of createdRunFolders) await rmdir(d).catch(() => undefined);
});

function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

describe('the runtime built by runtime:build', () => {
  test('imports an OCI image, runs a container with runc and leaves nothing behind', async ({ annotate }) => {
    const plugins = await ctr('plugins', 'ls');
    const overlay = plugins.split('\n').find((l) => /io\.containerd\.snapshotter\.v1\s+overlayfs\s/.test(l));
    if (snapshotter === 'overlayfs' && !overlay?.trim().endsWith('ok')) snapshotter = 'native';

    // The toolbox image as `corral up` builds it (src/images), under a test name.
    const image = { ref: 'corral.local/toolbox:test', archive: join(await testDir('image'), 'image.tar') };
    await writeImageArchive([await toolboxSpec(image.ref)], image.archive);
    await ctr('images', 'import', '--snapshotter', snapshotter, image.archive);
    const images = await ctr('images', 'ls', '-q');
    expect(images.split('\n')).toContain(image.ref);
    // Unpacked into the snapshotter the container will use: one committed snapshot, the layer.
    const layers = (await ctr('snapshots', '--snapshotter', snapshotter, 'ls')).trim().split('\n').slice(1);
    expect(layers).toHaveLength(1);
    expect(layers[0]).toMatch(/\bCommitted\b/);
    await annotate(`snapshotter: ${snapshotter}`);

    // runc puts the container into <hierarchy>/<tag>/<id> (cgroup v1 here) and takes it out again.
    const id = CONTAINER;
    const out = await ctr(
      'run',
      '--rm',
      '--snapshotter',
      snapshotter,
      // runc's state and the I/O fifos in the test folder too (their defaults are under /run/containerd).
      '--runc-binary',
      join(binDir, 'runc'),
      '--runc-root',
      join(dir, 'runc'),
      '--fifo-dir',
      join(dir, 'fifo'),
      '--seccomp',
      '--cgroup',
      `/${tag}/${id}`,
      '--hostname',
      id,
      image.ref,
      id,
      '/bin/sh',
      '-c',
      'echo "hello from $(cat /proc/1/comm) as pid $$ in $(cat /proc/sys/kernel/hostname)"; cat /proc/self/status',
    );
    const [hello, ...status] = out.trim().split('\n');
    // The container is its own PID and UTS namespace: the shell is its pid 1, named as asked.
    expect(hello).toBe(`hello from sh as pid 1 in ${id}`);
    // runc applied containerd's default seccomp profile (mode 2, a filter): libseccomp is linked in.
    expect(status.find((l) => l.startsWith('Seccomp:'))).toMatch(/^Seccomp:\s+2$/);

    // --rm deleted the task and the container; the snapshot goes with the container.
    expect((await ctr('containers', 'ls', '-q')).trim()).toBe('');
    expect((await ctr('tasks', 'ls', '-q')).trim()).toBe('');
    expect((await ctr('snapshots', '--snapshotter', snapshotter, 'ls')).split('\n').join(' ')).not.toContain(id);
    // The shim exits once its last task is gone.
    await eventually(async () => {
      expect((await processesUsing(dir)).filter((p) => p.includes('containerd-shim'))).toEqual([]);
    }, 'the shim exits');
    // Only the run's (now empty) cgroup parents are left; rmdir fails on one that still has a child.
    for (const cg of await cgroupsOfRun()) {
      const children = (await readdir(cg, { withFileTypes: true })).filter((e) => e.isDirectory());
      expect(children.map((e) => e.name)).toEqual([]);
      await rmdir(cg);
    }
    expect(await cgroupsOfRun()).toEqual([]);

    // Stopping containerd leaves no process and no mount that mentions the test folder.
    await ctr('images', 'rm', image.ref);
    containerd!.kill('SIGTERM');
    await containerdExit;
    expect(containerd!.exitCode ?? containerd!.signalCode).not.toBeNull();
    await eventually(async () => {
      expect(await processesUsing(dir)).toEqual([]);
    }, 'no process uses the test folder');
    expect(await mountsUnder(dir)).toEqual([]);
    expect((await readdir(SHIM_SOCKETS).catch(() => [])).sort()).toEqual([...shimSocketsBefore!].sort());
  });
});
