import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { binDir } from '../../kube/binaries.js';

/**
 * The Kubernetes versions Corral can install: those whose binaries are in the binaries folder
 * (`versions.json`, written by tools/k8s/build.sh). There is no download catalogue as in RKE's
 * KDM: a version is supported exactly when its binaries are at hand.
 */

const VERSION = /^v?(\d+)\.(\d+)\.(\d+)(?:-rancher\d+(?:-\d+)?)?$/;

/** "v1.36.5-rancher1-1" and "1.36.5" → "v1.36.5"; null when it is not such a version. */
export function normalizeVersion(version: string): string | null {
  const m = VERSION.exec(version.trim());
  return m ? `v${m[1]}.${m[2]}.${m[3]}` : null;
}

function compare(a: string, b: string): number {
  const pa = a.slice(1).split('.').map(Number);
  const pb = b.slice(1).split('.').map(Number);
  for (let i = 0; i < 3; i++) if (pa[i] !== pb[i]) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/** Supported versions, newest first; empty when the folder has no versions.json. */
export function supportedVersions(dir = binDir()): string[] {
  let data: { kubernetes?: unknown };
  try {
    data = JSON.parse(readFileSync(join(dir, 'versions.json'), 'utf8')) as { kubernetes?: unknown };
  } catch {
    return [];
  }
  // One build holds one version today; a list is accepted so that a folder may hold several.
  const raw = Array.isArray(data.kubernetes) ? data.kubernetes : [data.kubernetes];
  const versions = raw.filter((v): v is string => typeof v === 'string').map(normalizeVersion);
  return [...new Set(versions.filter((v): v is string => v !== null))].sort((a, b) => compare(b, a));
}

/** The newest supported version, or undefined when no binaries are built. */
export function defaultVersion(dir = binDir()): string | undefined {
  return supportedVersions(dir)[0];
}
