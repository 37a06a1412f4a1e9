import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { ClusterConfig } from './config/types.js';
import { ProvisionError } from './errors.js';

/** What Corral itself needs in every cluster: the API server may call kubelets (logs, exec); kubelets may register. */
export const SYSTEM_ADDONS = `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: corral-kube-apiserver-kubelet-api-admin
  labels: {provisioner.corral.io/managed: "true"}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:kubelet-api-admin
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: User
    name: kube-apiserver
---
# RKE's kube-node certificate names no node (CN system:node), so the Node authorizer ignores it;
# RKE binds the system:node role to the group instead (ApplySystemNodeClusterRoleBinding).
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata:
  name: corral-system-node
  labels: {provisioner.corral.io/managed: "true"}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: system:node
subjects:
  - apiGroup: rbac.authorization.k8s.io
    kind: Group
    name: system:nodes
`;

/** The manifests to apply, in order: Corral's, `addons`, then each `addons_include`. */
export async function addonManifests(
  config: ClusterConfig,
  baseDir: string,
): Promise<{ name: string; yaml: string }[]> {
  const out = [{ name: 'system', yaml: SYSTEM_ADDONS }];
  if (config.addons.trim()) out.push({ name: 'addons', yaml: config.addons });
  for (const inc of config.addons_include) {
    if (/^https:\/\//.test(inc)) {
      const res = await fetch(inc).catch((err: Error) => {
        throw new ProvisionError(`addons_include ${inc}: ${err.message}`);
      });
      if (!res.ok) throw new ProvisionError(`addons_include ${inc}: answered ${res.status}`);
      out.push({ name: inc, yaml: await res.text() });
    } else {
      out.push({ name: inc, yaml: await readFile(isAbsolute(inc) ? inc : join(baseDir, inc), 'utf8') });
    }
  }
  return out;
}

/** Runs the real kubectl with the admin kubeconfig; rejects with its stderr. */
export function kubectl(kubectlPath: string, kubeconfig: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(kubectlPath, ['--kubeconfig', kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(new ProvisionError(`kubectl ${args.join(' ')}: ${err.trim() || `exit ${code}`}`)),
    );
    child.stdin.end(input ?? '');
  });
}

/** Server-side apply: objects already as given are left untouched, so a second `up` changes nothing. */
export async function applyAddons(
  kubectlPath: string,
  kubeconfig: string,
  manifests: { name: string; yaml: string }[],
): Promise<string[]> {
  const changed: string[] = [];
  for (const m of manifests) {
    const out = await kubectl(
      kubectlPath,
      kubeconfig,
      ['apply', '--server-side', '--force-conflicts', '--field-manager=corral-provisioner', '-f', '-'],
      m.yaml,
    );
    for (const line of out.split('\n'))
      if (line.trim() && !/ (unchanged|serverside-applied)$/.test(line)) changed.push(line.trim());
  }
  return changed;
}
