/**
 * Runs the real `helm` as a Corral user: a kubeconfig pointing at Corral's own authentication
 * proxy (`/k8s/clusters/<id>`) with a short-lived token of that user, limited to the cluster, so
 * the proxy impersonates the user and Kubernetes RBAC decides what helm may do. The token is
 * deleted and the kubeconfig removed when helm is done.
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { binaryPath } from '../../kube/binaries.js';
import type { Store } from '../../store/types.js';
import type { SettingsReader } from '../api/context.js';
import { issueToken } from '../auth/tokens.js';
import { kubeconfigFor } from '../clusters/cluster-behavior.js';

/** What a helm run needs about its caller, captured from the request so it can outlive it. */
export interface HelmIdentity {
  store: Store;
  settings: SettingsReader;
  baseUrl: string;
  caPem: string;
  userId: string;
  username: string;
}

export interface HelmResult {
  code: number;
  output: string;
}

/** A folder for one helm run: kubeconfig, values, chart, and helm's own cache and config. */
export interface HelmWorkdir {
  dir: string;
  kubeconfig: string;
  run(args: string[], onOutput?: (all: string) => void): Promise<HelmResult>;
}

/** Lifetime of the token helm runs with: long enough for an install without --wait. */
export const HELM_TOKEN_TTL_MS = 15 * 60_000;

export async function withHelmAsUser<T>(
  who: HelmIdentity,
  clusterId: string,
  fn: (w: HelmWorkdir) => Promise<T>,
): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'corral-helm-'));
  const { obj: token, value } = await issueToken(who.store, who.settings, {
    userId: who.userId,
    kind: 'apikey',
    ttlMs: HELM_TOKEN_TTL_MS,
    description: `helm on cluster ${clusterId}`,
    clusterId,
  });
  try {
    const kubeconfig = join(dir, 'kubeconfig');
    await writeFile(
      kubeconfig,
      kubeconfigFor({
        serverUrl: who.baseUrl,
        clusterId,
        clusterName: clusterId,
        caPem: who.caPem,
        token: value,
        username: who.username,
      }),
      { mode: 0o600 },
    );
    const helm = await binaryPath('helm');
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: dir,
      HELM_CACHE_HOME: join(dir, 'cache'),
      HELM_CONFIG_HOME: join(dir, 'config'),
      HELM_DATA_HOME: join(dir, 'data'),
      KUBECONFIG: kubeconfig,
    };
    const run = (args: string[], onOutput?: (all: string) => void) =>
      new Promise<HelmResult>((resolve) => {
        const child = spawn(helm, args, { env, cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
        let output = '';
        const take = (c: Buffer) => {
          output += c.toString();
          if (output.length > 256 * 1024) output = output.slice(-256 * 1024);
          onOutput?.(output);
        };
        child.stdout.on('data', take);
        child.stderr.on('data', take);
        child.on('error', (err) => resolve({ code: 127, output: `${output}${err.message}` }));
        child.on('close', (code) => resolve({ code: code ?? 1, output }));
      });
    return await fn({ dir, kubeconfig, run });
  } finally {
    await rm(dir, { recursive: true, force: true });
    await who.store.delete('token', token.id).catch(() => undefined);
  }
}

/**
 * Rancher's answers (`a.b.c: "true"`) as a values document, typed as `helm --set` types them:
 * `true`/`false` are booleans, integers are numbers, anything else a string.
 */
export function answersToValues(answers: Record<string, string>): string {
  const root: Record<string, unknown> = {};
  for (const [key, raw] of Object.entries(answers)) {
    const path = key.split('.');
    let node = root;
    for (const part of path.slice(0, -1)) {
      const next = node[part];
      node = (next && typeof next === 'object' ? next : (node[part] = {})) as Record<string, unknown>;
    }
    const value = raw === 'true' ? true : raw === 'false' ? false : /^-?\d{1,15}$/.test(raw) ? Number(raw) : raw;
    node[path[path.length - 1]!] = value;
  }
  return stringify(root);
}
