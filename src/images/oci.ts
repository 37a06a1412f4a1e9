/**
 * OCI images made without an image tool: each image is one layer (a reproducible tar made by GNU
 * tar, always on Debian, gzipped by Node) plus its config, manifest and an index entry, written as
 * an OCI image layout (image-spec 1.1) and archived in one tar that `ctr images import` reads and
 * that a registry can be filled from. The same inputs give the same digests, so an archive that is
 * already on a node is recognised by its hash and not sent again.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmod,
  copyFile,
  cp,
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rename,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';

const execFileP = promisify(execFile);
const gzipP = promisify(gzip);

/** This machine's architecture in Go's (and OCI's) names. */
export const ARCH = ({ x64: 'amd64', arm64: 'arm64' } as Record<string, string>)[process.arch] ?? process.arch;

export interface ImageFile {
  /** Absolute path in the image. */
  path: string;
  /** A file on this machine to copy, or the content itself. */
  from?: string;
  content?: string;
  mode?: number;
}

export interface ImageSpec {
  /** The full name the image is known by, e.g. corral.local/pause:3.10. */
  ref: string;
  files: ImageFile[];
  /** Link path in the image → its target. */
  symlinks?: Record<string, string>;
  /** Empty folders (with their mode), e.g. /tmp. */
  dirs?: Record<string, number>;
  /** Folders copied whole from this machine: path in the image → folder here. */
  trees?: Record<string, string>;
  config: { Entrypoint?: string[]; Cmd?: string[]; Env?: string[]; User?: string; WorkingDir?: string };
}

export interface BuiltImage {
  ref: string;
  manifestDigest: string;
}

/**
 * A digest of everything an image is made from (the content of its files included), so a cached
 * archive can be reused exactly when none of it changed.
 */
export async function specDigest(specs: ImageSpec[]): Promise<string> {
  const h = createHash('sha256');
  for (const spec of specs) {
    h.update(JSON.stringify({ ...spec, files: spec.files.map((f) => ({ ...f, from: undefined })) }));
    for (const f of spec.files) if (f.from) h.update(await readFile(f.from));
    for (const from of Object.values(spec.trees ?? {})) h.update(await treeDigest(from));
  }
  return h.digest('hex');
}

/** Writes every image into one OCI layout archived at `archive` (written whole, then renamed). */
export async function writeImageArchive(specs: ImageSpec[], archive: string): Promise<BuiltImage[]> {
  const work = await mkdtemp(join(tmpdir(), 'corral-oci-'));
  try {
    const layout = join(work, 'layout');
    const blobs = join(layout, 'blobs', 'sha256');
    await mkdir(blobs, { recursive: true });
    const put = async (buf: Buffer) => {
      const hex = createHash('sha256').update(buf).digest('hex');
      await writeFile(join(blobs, hex), buf);
      return { digest: `sha256:${hex}`, size: buf.length };
    };
    const built: BuiltImage[] = [];
    const manifests: object[] = [];
    for (const [i, spec] of specs.entries()) {
      const layerTar = await layerOf(spec, join(work, `rootfs-${i}`));
      const diffId = `sha256:${createHash('sha256').update(layerTar).digest('hex')}`;
      // Level 1: most of a layer is one Go binary that hardly compresses further at higher levels.
      const layer = await put(await gzipP(layerTar, { level: 1 }));
      const config = await put(
        Buffer.from(
          JSON.stringify({
            architecture: ARCH,
            os: 'linux',
            config: { Env: ['PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin'], ...spec.config },
            rootfs: { type: 'layers', diff_ids: [diffId] },
            history: [{ created_by: `corral: ${spec.ref}` }],
          }),
        ),
      );
      const manifest = await put(
        Buffer.from(
          JSON.stringify({
            schemaVersion: 2,
            mediaType: 'application/vnd.oci.image.manifest.v1+json',
            config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
            layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer }],
          }),
        ),
      );
      manifests.push({
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        ...manifest,
        platform: { architecture: ARCH, os: 'linux' },
        // The OCI name and containerd's: `ctr images import` registers the image under the latter.
        annotations: { 'io.containerd.image.name': spec.ref, 'org.opencontainers.image.ref.name': spec.ref },
      });
      built.push({ ref: spec.ref, manifestDigest: manifest.digest });
    }
    await writeFile(join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
    await writeFile(
      join(layout, 'index.json'),
      JSON.stringify({ schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests }),
    );
    await mkdir(dirname(archive), { recursive: true });
    const tmp = `${archive}.tmp-${process.pid}`;
    await execFileP('tar', ['--create', '--file', tmp, '--directory', layout, 'oci-layout', 'index.json', 'blobs']);
    await rename(tmp, archive);
    return built;
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** The image's one layer: its files laid out in `rootfs`, archived owned by root with a fixed mtime. */
async function layerOf(spec: ImageSpec, rootfs: string): Promise<Buffer> {
  await mkdir(rootfs, { recursive: true });
  for (const [dir, mode] of Object.entries(spec.dirs ?? {})) {
    await mkdir(join(rootfs, dir), { recursive: true });
    await chmod(join(rootfs, dir), mode);
  }
  for (const [path, from] of Object.entries(spec.trees ?? {}))
    await cp(from, join(rootfs, path), { recursive: true, verbatimSymlinks: true });
  for (const f of spec.files) {
    const dest = join(rootfs, f.path);
    await mkdir(dirname(dest), { recursive: true });
    if (f.from) await copyFile(f.from, dest);
    else await writeFile(dest, f.content ?? '');
    await chmod(dest, f.mode ?? (f.from ? 0o755 : 0o644));
  }
  for (const [link, target] of Object.entries(spec.symlinks ?? {})) {
    await mkdir(dirname(join(rootfs, link)), { recursive: true });
    await symlink(target, join(rootfs, link));
  }
  const tar = join(dirname(rootfs), `${rootfs.split('/').pop()}.tar`);
  await execFileP('tar', [
    '--create',
    '--file',
    tar,
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
  return readFile(tar);
}

/** A digest of a folder's file names, sizes and modification times: cheap, and changes when a file does. */
async function treeDigest(dir: string): Promise<string> {
  const h = createHash('sha256');
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files = entries.map((e) => join(e.parentPath, e.name)).sort();
  for (const f of files) {
    const st = await lstat(f);
    h.update(`${f.slice(dir.length)}\0${st.size}\0${st.mtimeMs}\0`);
  }
  return h.digest('hex');
}
