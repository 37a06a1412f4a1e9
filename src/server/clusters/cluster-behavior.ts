import { stringify } from 'yaml';
import { listAll } from '../../store/list-all.js';
import type { Store, StoredObject } from '../../store/types.js';
import { kubeconfigObject } from '../../kube/kubeconfig.js';
import { upstreamJson, UpstreamError } from '../../kube/upstream-client.js';
import type { ApiContext, TypeBehavior } from '../api/context.js';
import { randomSuffix } from '../auth/token-secret.js';
import { assertUniqueName } from '../api/unique-name.js';
import { issueToken } from '../auth/tokens.js';
import { USER_ID_LABEL } from '../authz/user-rules.js';
import { ApiError } from '../http/errors.js';
import { directConnection, type ClusterConnections } from './connections.js';
import { deleteObject, listManaged } from '../projects/downstream.js';
import { CLUSTER_LABEL, MANAGED_LABEL } from '../rbac/desired.js';
import { AGENT_NAME, AGENT_NAMESPACE } from './manifest.js';
import { CLUSTER_ID_LABEL, isMember, isOwner } from './memberships.js';
import { importYaml } from './import-yaml.js';
import { createRegistrationToken } from './registration.js';
import { setClusterRemoving } from './status-write.js';

export async function bindClusterRole(store: Store, clusterId: string, userId: string, roleTemplateId: string) {
  return store.create({
    type: 'clusterRoleTemplateBinding',
    metadata: {
      generateName: 'crtb-',
      labels: { [CLUSTER_ID_LABEL]: clusterId, [USER_ID_LABEL]: userId },
      annotations: { 'field.cattle.io/creatorId': userId },
    },
    spec: { clusterId, roleTemplateId, userId, userPrincipalId: `local://${userId}` },
  });
}

/** Checks that a kubeconfig can be used before storing it; the message says what is wrong with it. */
function checkKubeconfig(yaml: string): void {
  try {
    directConnection(yaml).close();
  } catch (err) {
    throw new ApiError(
      'InvalidFormat',
      `importedConfig.kubeConfig is not a usable kubeconfig: ${(err as Error).message}`,
      'importedConfig.kubeConfig',
    );
  }
}

/** Removes what Corral installed in the cluster (the agent and its RBAC). */
async function cleanUpDownstream(connections: ClusterConnections, cluster: StoredObject): Promise<void> {
  const conn = connections.get(cluster.id);
  if (!conn) throw new UpstreamError('not connected');
  // Everything the projects controller made (RBAC, quotas, limit ranges), in any kind of cluster.
  const managed = await listManaged(conn.upstream, `${MANAGED_LABEL}=true,${CLUSTER_LABEL}=${cluster.id}`);
  await Promise.all(managed.map((o) => deleteObject(conn.upstream, o)));
  if (cluster.spec.driver !== 'imported') return;
  const ns = await upstreamJson<{ metadata: { uid: string } }>(
    conn.upstream,
    'GET',
    `/api/v1/namespaces/${AGENT_NAMESPACE}`,
  ).catch((err: unknown) => {
    if (err instanceof UpstreamError && err.status === 404) return undefined;
    throw err;
  });
  if (!ns) return; // already gone
  const owned = {
    metadata: {
      ownerReferences: [{ apiVersion: 'v1', kind: 'Namespace', name: AGENT_NAMESPACE, uid: ns.metadata.uid }],
    },
  };
  const mergePatch = { 'content-type': 'application/merge-patch+json' };
  for (const path of [
    `/apis/rbac.authorization.k8s.io/v1/clusterrolebindings/${AGENT_NAME}`,
    `/apis/rbac.authorization.k8s.io/v1/clusterroles/${AGENT_NAME}`,
  ]) {
    await upstreamJson(conn.upstream, 'PATCH', path, { body: owned, headers: mergePatch }).catch((err: unknown) => {
      if (!(err instanceof UpstreamError && err.status === 404)) throw err;
    });
  }
  // Deleting the namespace ends the agent (and the tunnel this call rides on) and, once it is gone,
  // the garbage collector removes the two cluster-wide objects it now owns.
  await upstreamJson(conn.upstream, 'DELETE', `/api/v1/namespaces/${AGENT_NAMESPACE}`);
}

export function kubeconfigFor(opts: {
  serverUrl: string;
  clusterId: string;
  clusterName: string;
  caPem: string;
  token: string;
  username: string;
}): string {
  return stringify(
    kubeconfigObject({
      name: opts.clusterName,
      server: `${opts.serverUrl}/k8s/clusters/${opts.clusterId}`,
      caPem: opts.caPem || undefined,
      userName: `${opts.clusterName}-${opts.username}`,
      user: { token: opts.token },
    }),
  );
}

/** Members of the cluster, and members of any of its projects, see it (and get kubeconfigs for it). */
function seesCluster(ctx: ApiContext, clusterId: string): boolean {
  return (
    isMember(ctx.memberships, clusterId) ||
    [...ctx.projectMemberships.keys()].some((p) => p.startsWith(`${clusterId}:`))
  );
}

export const clusterBehavior: TypeBehavior = {
  async create(fields, ctx, labels) {
    await assertUniqueName(ctx.store, 'cluster', fields.name, { scope: 'Corral' });
    const id = `c-${randomSuffix(5)}`;
    const imported = fields.importedConfig as { kubeConfig?: string } | undefined;
    const spec: Record<string, unknown> = {
      name: fields.name,
      description: fields.description ?? '',
      driver: imported ? 'direct' : 'imported',
      internal: false,
    };
    if (imported?.kubeConfig) {
      checkKubeconfig(imported.kubeConfig);
      spec.kubeConfigEncrypted = ctx.services.secretBox.encrypt(imported.kubeConfig);
    }
    const cluster = await ctx.store.create({
      type: 'cluster',
      id,
      metadata: { name: id, labels, annotations: { 'field.cattle.io/creatorId': ctx.auth.user.id } },
      spec,
      status: { state: imported ? 'provisioning' : 'pending', conditions: [] },
    });
    // The creator owns the cluster (Rancher's clusterCreatorDefault).
    await bindClusterRole(ctx.store, id, ctx.auth.user.id, 'cluster-owner');
    if (imported?.kubeConfig) ctx.services.connections.set(id, directConnection(imported.kubeConfig));
    else await createRegistrationToken(ctx.store, ctx.services.secretBox, id, ctx.auth.user.id);
    return cluster;
  },
  ownerAllows: (verb, obj, ctx) =>
    verb === 'get' || verb === 'list'
      ? seesCluster(ctx, obj.id)
      : ['update', 'delete'].includes(verb) && isOwner(ctx.memberships, obj.id),
  ownListFilter: (ctx) => (obj) => seesCluster(ctx, obj.id),
  async prepareUpdate(existing, fields, ctx) {
    if (fields.name !== undefined && fields.name !== existing.spec.name)
      await assertUniqueName(ctx.store, 'cluster', fields.name, { scope: 'Corral', exceptId: existing.id });
    return { ...existing.spec, ...fields };
  },
  async beforeDelete(existing, ctx) {
    const force = ctx.query.get('force') === 'true';
    // Tell the projects controller to stop writing into the cluster before it is cleaned up; the
    // health and presence controllers keep the mark (see writeClusterStatus).
    await setClusterRemoving(ctx.store, existing.id, true);
    await ctx.services.settleProjects(existing.id);
    try {
      await cleanUpDownstream(ctx.services.connections, existing);
    } catch (err) {
      // A cluster that never answered (an import whose agent never connected) has nothing of
      // Corral's to remove: deleting it needs no force and no explanation.
      const everConnected = Boolean(existing.status.version);
      if (!force && everConnected) {
        // The cluster stays: the projects controller takes it up again.
        await setClusterRemoving(ctx.store, existing.id, false);
        throw new ApiError(
          'ServiceUnavailable',
          `Corral cannot reach cluster "${String(existing.spec.name)}" to remove its agent ` +
            `(${(err as Error).message}). Bring the cluster back and delete it again, or forget it ` +
            'without cleaning up (force=true); the agent then stays in the cluster.',
        );
      }
    }
  },
  async afterDelete(existing, ctx) {
    ctx.services.connections.remove(existing.id);
    const [crts, crtbs, tokens] = await Promise.all([
      listAll(ctx.store, 'clusterRegistrationToken', `${CLUSTER_ID_LABEL}=${existing.id}`),
      listAll(ctx.store, 'clusterRoleTemplateBinding', `${CLUSTER_ID_LABEL}=${existing.id}`),
      listAll(ctx.store, 'token'),
    ]);
    const scoped = tokens.filter((t) => t.spec.clusterId === existing.id);
    await Promise.all([...crts, ...crtbs, ...scoped].map((o) => ctx.store.delete(o.type, o.id).catch(() => undefined)));
  },
  resourceActions: {
    importYaml,
    async generateKubeconfig(obj: StoredObject, _input, ctx: ApiContext) {
      const ttlMinutes = await ctx.settings.getInt('kubeconfig-default-token-ttl-minutes');
      const { value } = await issueToken(ctx.store, ctx.settings, {
        userId: ctx.auth.user.id,
        kind: 'apikey',
        ttlMs: ttlMinutes * 60_000,
        description: `kubeconfig for cluster ${obj.id}`,
        clusterId: obj.id,
      });
      return {
        type: 'generateKubeConfigOutput',
        config: kubeconfigFor({
          serverUrl: ctx.baseUrl,
          clusterId: obj.id,
          clusterName: String(obj.spec.name),
          caPem: ctx.services.caPem,
          token: value,
          username: String(ctx.auth.user.spec.username),
        }),
      };
    },
  },
};
