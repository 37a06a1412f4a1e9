import { access, constants, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';

export const BINARIES = [
  'etcd',
  'kube-apiserver',
  'kube-controller-manager',
  'kube-scheduler',
  'kubectl',
  'kubelet',
  'kube-proxy',
  'etcdctl',
  'etcdutl',
  'helm',
  'kwok',
  // Only for tests: the S3-compatible server etcd snapshots are uploaded to.
  'minio',
  // Corral's own: the API server proxy of nodes without the controlplane role.
  'corral-apiserver-proxy',
] as const;
export type BinaryName = (typeof BINARIES)[number];

export interface BinaryVersions {
  kubernetes: string;
  etcd: string;
  helm: string;
  kwok: string;
}

/** Where `npm run k8s:build` puts the binaries; CORRAL_K8S_BIN_DIR moves it. */
export function binDir(): string {
  return process.env.CORRAL_K8S_BIN_DIR ?? join(packageRoot(), '.cache', 'k8s', 'bin');
}

export class MissingBinaryError extends Error {
  constructor(
    readonly binary: string,
    readonly dir: string,
  ) {
    super(
      `${binary} not found in ${dir}: build the Kubernetes binaries with \`npm run k8s:build\` ` +
        `in the Corral source folder, or point CORRAL_K8S_BIN_DIR at a folder that has them`,
    );
  }
}

export async function binaryPath(name: BinaryName, dir = binDir()): Promise<string> {
  const path = join(dir, name);
  try {
    await access(path, constants.X_OK);
  } catch {
    throw new MissingBinaryError(name, dir);
  }
  return path;
}

/** Resolves every named binary at once, so that a missing one is reported before anything starts. */
export async function binaryPaths<N extends BinaryName>(
  names: readonly N[],
  dir = binDir(),
): Promise<Record<N, string>> {
  const entries = await Promise.all(names.map(async (n) => [n, await binaryPath(n, dir)] as const));
  return Object.fromEntries(entries) as Record<N, string>;
}

export async function binaryVersions(dir = binDir()): Promise<BinaryVersions> {
  try {
    return JSON.parse(await readFile(join(dir, 'versions.json'), 'utf8')) as BinaryVersions;
  } catch {
    throw new MissingBinaryError('versions.json', dir);
  }
}

/** The container runtime real worker nodes get (containerd, runc, CNI plugins, ...). */
export const RUNTIME_BINARIES = ['containerd', 'containerd-shim-runc-v2', 'runc', 'ctr'] as const;
export const CNI_PLUGINS = ['bridge', 'host-local', 'loopback', 'portmap', 'bandwidth', 'firewall', 'host-device'];

/** Where `npm run runtime:build` puts them (CNI plugins in cni/); CORRAL_RUNTIME_BIN_DIR moves it. */
export function runtimeBinDir(): string {
  return process.env.CORRAL_RUNTIME_BIN_DIR ?? join(packageRoot(), '.cache', 'runtime', 'bin');
}

/** The runtime's versions, as `npm run runtime:build` recorded them. */
export async function runtimeVersions(dir = runtimeBinDir()): Promise<Record<string, string>> {
  try {
    return JSON.parse(await readFile(join(dir, 'versions.json'), 'utf8')) as Record<string, string>;
  } catch {
    throw new Error(
      `no container runtime built in ${dir}: run \`npm run runtime:build\` in the Corral source folder, ` +
        'or point CORRAL_RUNTIME_BIN_DIR at a folder that has it',
    );
  }
}
