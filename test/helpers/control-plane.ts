import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { inject, onTestFinished } from 'vitest';
import { binaryPath } from '../../src/kube/binaries.js';
import {
  startControlPlane,
  type ControlPlane,
  type ControlPlaneOptions,
} from '../../src/localcluster/control-plane.js';

const execFileP = promisify(execFile);

/** A fresh folder under this run's test root, removed with the run. */
export async function testDir(prefix: string): Promise<string> {
  return mkdtemp(join(inject('testRoot'), `${prefix}-`));
}

/**
 * Starts a real control plane in a fresh folder and stops it when the current test ends
 * (call it inside a test) — or, with `{ manual: true }`, leaves stopping to the caller.
 */
export async function startTestControlPlane(
  opts: Partial<ControlPlaneOptions> & { manual?: boolean } = {},
): Promise<ControlPlane> {
  const cp = await startControlPlane({ dir: await testDir('cp'), ...opts });
  if (!opts.manual) onTestFinished(() => cp.stop());
  return cp;
}

export interface KubectlResult {
  stdout: string;
  stderr: string;
}

/** Runs the real kubectl with the control plane's admin kubeconfig; rejects on a non-zero exit. */
export async function kubectl(cp: ControlPlane, ...args: string[]): Promise<KubectlResult> {
  const bin = await binaryPath('kubectl');
  return execFileP(bin, [`--kubeconfig=${cp.kubeconfigPath}`, ...args], { maxBuffer: 16 << 20 });
}
