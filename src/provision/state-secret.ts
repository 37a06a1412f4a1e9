import { UpstreamError } from '../kube/upstream-client.js';
import type { AdminApi } from './kube-api.js';
import type { StateFile } from './state.js';

const PATH = '/api/v1/namespaces/kube-system/secrets/full-cluster-state';

interface SecretObject {
  metadata: { name: string; namespace: string; resourceVersion?: string; labels?: Record<string, string> };
  type?: string;
  data?: Record<string, string>;
}

/** Keeps a copy of the state in the cluster (as RKE does), so a lost state file can be recovered. Returns whether it changed. */
export async function saveClusterStateSecret(api: AdminApi, state: StateFile): Promise<boolean> {
  const value = Buffer.from(JSON.stringify(state)).toString('base64');
  let existing: SecretObject | undefined;
  try {
    existing = await api.json<SecretObject>('GET', PATH);
  } catch (err) {
    if (!(err instanceof UpstreamError && err.status === 404)) throw err;
  }
  if (existing?.data?.['full-cluster-state'] === value) return false;
  const body: SecretObject = {
    metadata: {
      name: 'full-cluster-state',
      namespace: 'kube-system',
      labels: { 'provisioner.corral.io/managed': 'true' },
      ...(existing?.metadata.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}),
    },
    type: 'Opaque',
    data: { 'full-cluster-state': value },
  };
  if (existing) await api.json('PUT', PATH, body);
  else await api.json('POST', '/api/v1/namespaces/kube-system/secrets', body);
  return true;
}

export async function readClusterStateSecret(api: AdminApi): Promise<StateFile> {
  const secret = await api.json<SecretObject>('GET', PATH);
  return JSON.parse(Buffer.from(secret.data?.['full-cluster-state'] ?? '', 'base64').toString('utf8')) as StateFile;
}
