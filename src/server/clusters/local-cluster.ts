import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startControlPlane, type ControlPlane } from '../../localcluster/control-plane.js';
import type { Store } from '../../store/types.js';
import { StoreError } from '../../store/types.js';
import { listAll } from '../../store/list-all.js';
import { userIdForUsername } from '../auth/users.js';
import type { Logger } from '../log.js';
import { bindClusterRole } from './cluster-behavior.js';
import { CLUSTER_ID_LABEL } from './memberships.js';
import type { SecretBox } from '../secrets/encryption.js';

export const LOCAL_CLUSTER_ID = 'local';

/**
 * `corral server --local-cluster`: a real control plane (etcd, kube-apiserver, controllers, one
 * kwok node) under the data folder, registered as the direct cluster `local`, so that a first-time
 * user has a cluster to look at. Its kubeconfig is stored encrypted like any other.
 */
export async function startLocalCluster(
  store: Store,
  box: SecretBox,
  dataDir: string,
  log: Logger,
): Promise<ControlPlane> {
  log.info('starting the local cluster');
  const cp = await startControlPlane({ dir: join(dataDir, 'local-cluster'), name: 'local', nodes: 1 });
  const kubeConfigEncrypted = box.encrypt(await readFile(cp.kubeconfigPath, 'utf8'));
  try {
    const existing = await store.get('cluster', LOCAL_CLUSTER_ID);
    // A restart gets new ports and so a new kubeconfig.
    await store.update({ ...existing, spec: { ...existing.spec, kubeConfigEncrypted } });
  } catch (err) {
    if (!(err instanceof StoreError && err.code === 'NotFound')) throw err;
    await store.create({
      type: 'cluster',
      id: LOCAL_CLUSTER_ID,
      metadata: { name: LOCAL_CLUSTER_ID },
      spec: {
        name: 'local',
        description: 'the embedded local cluster',
        driver: 'local',
        internal: true,
        kubeConfigEncrypted,
      },
      status: { state: 'provisioning', conditions: [] },
    });
  }
  // The bootstrap admin owns it, so that a first-time user can look at it right away.
  const adminId = await userIdForUsername(store, 'admin');
  const owners = await listAll(store, 'clusterRoleTemplateBinding', `${CLUSTER_ID_LABEL}=${LOCAL_CLUSTER_ID}`);
  if (adminId && !owners.some((b) => b.spec.userId === adminId && b.spec.roleTemplateId === 'cluster-owner')) {
    await bindClusterRole(store, LOCAL_CLUSTER_ID, adminId, 'cluster-owner');
  }
  log.info('local cluster ready', { server: cp.server });
  return cp;
}
