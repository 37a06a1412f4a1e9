/**
 * The images a Corral cluster runs its system pods from (the pod sandbox, the network plugin, DNS,
 * metrics) and the toolbox image users and tests run, built here from the binaries that
 * `npm run runtime:build` made and Debian's busybox-static: no registry on the internet is needed.
 * They are named under corral.local/, a registry name nothing resolves, so a node that lacks one
 * says so instead of pulling a stranger's image of the same name.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { runtimeBinDir, runtimeVersions } from '../kube/binaries.js';
import { specDigest, writeImageArchive, type ImageSpec } from './oci.js';

const execFileP = promisify(execFile);

/** Debian's busybox-static: one statically linked binary, so the toolbox needs no libraries. */
export const BUSYBOX = '/bin/busybox';

export type SystemImage = 'pause' | 'toolbox' | 'coredns' | 'metrics-server' | 'flannel';

export interface SystemImages {
  /** The name of each image. */
  refs: Record<SystemImage, string>;
  /** The OCI archive holding all of them. */
  archive: string;
  /** sha256 of the archive's inputs: names the archive, changes exactly when an image does. */
  digest: string;
}

const PASSWD = 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n';

export const TOOLBOX_IMAGE = 'corral.local/toolbox:latest';

/** The system images' names for the built runtime's versions (no build needed). */
export async function systemImageRefs(dir = runtimeBinDir()): Promise<Record<SystemImage, string>> {
  const v = await runtimeVersions(dir);
  return {
    pause: `corral.local/pause:${v.pause ?? '3.10'}`,
    toolbox: TOOLBOX_IMAGE,
    coredns: `corral.local/coredns:${v.coredns}`,
    'metrics-server': `corral.local/metrics-server:${v.metricsServer}`,
    flannel: `corral.local/flannel:${v.flannel}`,
  };
}

/**
 * The archive of all system images, built once into `<runtime bin>/../images/` and reused while
 * none of its inputs changes.
 */
export async function systemImages(dir = runtimeBinDir()): Promise<SystemImages> {
  const refs = await systemImageRefs(dir);
  const specs = await systemImageSpecs(dir, refs);
  const digest = await specDigest(specs);
  const archive = join(dir, '..', 'images', `system-${digest.slice(0, 16)}.tar`);
  const exists = await stat(archive).then(
    () => true,
    () => false,
  );
  if (!exists) await writeImageArchive(specs, archive);
  return { refs, archive, digest };
}

async function systemImageSpecs(dir: string, refs: Record<SystemImage, string>): Promise<ImageSpec[]> {
  const etc = [{ path: '/etc/passwd', content: PASSWD }];
  return [
    {
      ref: refs.pause,
      files: [{ path: '/pause', from: join(dir, 'pause') }],
      config: { Entrypoint: ['/pause'], User: '65535:65535' },
    },
    await toolboxSpec(refs.toolbox),
    {
      ref: refs.coredns,
      files: [{ path: '/coredns', from: join(dir, 'coredns') }, ...etc],
      config: { Entrypoint: ['/coredns'] },
    },
    {
      ref: refs['metrics-server'],
      files: [{ path: '/metrics-server', from: join(dir, 'metrics-server') }, ...etc],
      dirs: { '/tmp': 0o1777 },
      config: { Entrypoint: ['/metrics-server'] },
    },
    {
      ref: refs.flannel,
      files: [{ path: '/opt/bin/flanneld', from: join(dir, 'flanneld') }, ...etc],
      dirs: { '/run/flannel': 0o755, '/etc/kube-flannel': 0o755 },
      config: { Entrypoint: ['/opt/bin/flanneld'] },
    },
  ];
}

/** busybox with every applet it has linked in /bin: a shell, wget, nc, nslookup, ping, sleep, ... */
export async function toolboxSpec(ref: string): Promise<ImageSpec> {
  await assertStaticBusybox();
  const { stdout } = await execFileP(BUSYBOX, ['--list']);
  const applets = stdout.split('\n').filter((a) => /^[a-z0-9_.[-]+$/.test(a) && a !== 'busybox');
  return {
    ref,
    files: [
      { path: '/bin/busybox', from: BUSYBOX },
      { path: '/etc/passwd', content: PASSWD },
      { path: '/etc/group', content: 'root:x:0:\nnobody:x:65534:\n' },
    ],
    symlinks: Object.fromEntries(applets.map((a) => [`/bin/${a}`, 'busybox'])),
    dirs: { '/tmp': 0o1777, '/root': 0o700, '/proc': 0o555, '/sys': 0o555, '/dev': 0o755 },
    config: { Cmd: ['/bin/sh'], WorkingDir: '/' },
  };
}

/**
 * The image has no libraries, so busybox must be Debian's busybox-static (the `busybox` package's
 * binary at the same path needs libc): an ELF64 file without a PT_INTERP program header.
 */
export async function assertStaticBusybox(): Promise<void> {
  const elf = await readFile(BUSYBOX).catch(() => {
    throw new Error(`${BUSYBOX} is missing: apt-get install busybox-static`);
  });
  const isElf64 = elf.subarray(0, 4).toString('latin1') === '\x7fELF' && elf[4] === 2;
  if (!isElf64) throw new Error(`${BUSYBOX} is not a 64-bit ELF executable`);
  const phoff = Number(elf.readBigUInt64LE(0x20));
  const phentsize = elf.readUInt16LE(0x36);
  const phnum = elf.readUInt16LE(0x38);
  for (let i = 0; i < phnum; i++) {
    const PT_INTERP = 3;
    if (elf.readUInt32LE(phoff + i * phentsize) === PT_INTERP) {
      throw new Error(`${BUSYBOX} is dynamically linked: apt-get install busybox-static (it replaces busybox)`);
    }
  }
}
