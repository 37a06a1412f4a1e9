import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, copyFile, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** Debian's busybox-static: one statically linked binary, so the image needs no libraries. */
export const BUSYBOX = '/bin/busybox';

/** The image's architecture: this machine's, in Go's names. */
const ARCH = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;

export interface OciImage {
  /** The OCI image layout as a tar archive, what `ctr images import` reads. */
  archive: string;
  /** The name the image is imported under. */
  ref: string;
  manifestDigest: string;
}

/**
 * Writes a one-layer OCI image (image-spec 1.1) holding Debian's static busybox as /bin/busybox,
 * with /bin/sh and /bin/echo linked to it, as an OCI image layout archived in `<dir>/image.tar`.
 *
 * No image tool is needed: the layer is an uncompressed tar made by GNU tar (always on Debian),
 * owned by root and with a fixed mtime so that the same busybox always gives the same digests; the
 * config, manifest and index are JSON blobs named by their sha256. The index names the image both
 * the OCI way (`org.opencontainers.image.ref.name`) and containerd's way (`io.containerd.image.name`),
 * so `ctr images import` registers it under `ref`.
 */
export async function writeBusyboxImage(dir: string, ref: string): Promise<OciImage> {
  await assertStaticBusybox();
  const rootfs = join(dir, 'rootfs');
  const layout = join(dir, 'layout');
  const blobs = join(layout, 'blobs', 'sha256');
  await mkdir(join(rootfs, 'bin'), { recursive: true });
  for (const d of ['etc', 'tmp', 'proc', 'sys', 'dev', 'root']) await mkdir(join(rootfs, d), { recursive: true });
  await chmod(join(rootfs, 'tmp'), 0o1777);
  await copyFile(BUSYBOX, join(rootfs, 'bin', 'busybox'));
  await chmod(join(rootfs, 'bin', 'busybox'), 0o755);
  for (const applet of ['sh', 'echo', 'cat', 'ls']) await symlink('busybox', join(rootfs, 'bin', applet));
  await writeFile(join(rootfs, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  await writeFile(join(rootfs, 'etc', 'group'), 'root:x:0:\n');
  await mkdir(blobs, { recursive: true });

  const layerTar = join(dir, 'layer.tar');
  await execFileP('tar', [
    '--create',
    '--file',
    layerTar,
    '--directory',
    rootfs,
    '--sort=name',
    '--numeric-owner',
    '--owner=0',
    '--group=0',
    '--mtime=@0',
    '--format=posix',
    '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime',
    '.',
  ]);
  const layer = await readFile(layerTar);

  const put = async (content: Buffer | string) => {
    const buf = typeof content === 'string' ? Buffer.from(content) : content;
    const digest = `sha256:${createHash('sha256').update(buf).digest('hex')}`;
    await writeFile(join(blobs, digest.slice('sha256:'.length)), buf);
    return { digest, size: buf.length };
  };

  const layerBlob = await put(layer);
  const config = await put(
    JSON.stringify({
      architecture: ARCH,
      os: 'linux',
      config: { Env: ['PATH=/bin'], Cmd: ['/bin/sh'], WorkingDir: '/' },
      rootfs: { type: 'layers', diff_ids: [layerBlob.digest] },
      history: [{ created_by: 'corral test: Debian busybox-static' }],
    }),
  );
  const manifest = await put(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layerBlob }],
    }),
  );
  await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(layout, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [
        {
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          ...manifest,
          platform: { architecture: ARCH, os: 'linux' },
          annotations: { 'io.containerd.image.name': ref, 'org.opencontainers.image.ref.name': ref },
        },
      ],
    }),
  );

  const archive = join(dir, 'image.tar');
  await execFileP('tar', ['--create', '--file', archive, '--directory', layout, 'oci-layout', 'index.json', 'blobs']);
  return { archive, ref, manifestDigest: manifest.digest };
}

/**
 * The image has no libraries, so busybox must be Debian's busybox-static (the `busybox` package's
 * binary at the same path needs libc): an ELF64 file without a PT_INTERP program header.
 */
async function assertStaticBusybox(): Promise<void> {
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
