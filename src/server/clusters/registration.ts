import { timingSafeEqual } from 'node:crypto';
import { listAll } from '../../store/list-all.js';
import type { Store, StoredObject } from '../../store/types.js';
import type { ApiContext, TypeBehavior } from '../api/context.js';
import { newTokenSecret, randomSuffix } from '../auth/token-secret.js';
import { clusterRegistrationToken } from '../../schema/types/cluster.js';
import { ApiError } from '../http/errors.js';
import type { SecretBox } from '../secrets/encryption.js';
import { CLUSTER_ID_LABEL, isOwner } from './memberships.js';

/** Creates a registration token for a cluster; the secret is stored encrypted. */
export async function createRegistrationToken(store: Store, box: SecretBox, clusterId: string, creatorId?: string) {
  const id = `crt-${randomSuffix(5)}`;
  return store.create({
    type: 'clusterRegistrationToken',
    id,
    metadata: {
      name: id,
      labels: { [CLUSTER_ID_LABEL]: clusterId },
      annotations: creatorId ? { 'field.cattle.io/creatorId': creatorId } : {},
    },
    spec: { clusterId, tokenEncrypted: box.encrypt(newTokenSecret()) },
  });
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The registration token object matching `token` for `clusterId`, or undefined. */
export async function findRegistration(store: Store, box: SecretBox, clusterId: string, token: string) {
  if (!/^c-[a-z0-9]{5}$|^local$/.test(clusterId)) return undefined;
  const tokens = await listAll(store, 'clusterRegistrationToken', `${CLUSTER_ID_LABEL}=${clusterId}`);
  return tokens.find((t) => same(box.decrypt(String(t.spec.tokenEncrypted)), token));
}

/** `<token>_<clusterId>` from the import manifest path. */
export function parseManifestName(name: string): { token: string; clusterId: string } | undefined {
  const m = /^([a-z0-9]+)_(c-[a-z0-9]{5}|local)\.yaml$/.exec(name);
  return m ? { token: m[1]!, clusterId: m[2]! } : undefined;
}

export function registrationView(obj: StoredObject, ctx: ApiContext) {
  const token = ctx.services.secretBox.decrypt(String(obj.spec.tokenEncrypted));
  const manifestUrl = `${ctx.baseUrl}/v3/import/${token}_${String(obj.spec.clusterId)}.yaml`;
  return {
    token,
    manifestUrl,
    command: `kubectl apply -f ${manifestUrl}`,
    insecureCommand: `curl --insecure -sfL ${manifestUrl} | kubectl apply -f -`,
  };
}

const ownsCluster = (obj: StoredObject, ctx: ApiContext) => isOwner(ctx.memberships, String(obj.spec.clusterId));

export const registrationTokenBehavior: TypeBehavior = {
  async create(fields, ctx) {
    const clusterId = String(fields.clusterId);
    if (!ctx.can('create', clusterRegistrationToken) && !isOwner(ctx.memberships, clusterId)) {
      throw new ApiError('PermissionDenied', `you may not create registration tokens for cluster ${clusterId}`);
    }
    await ctx.store.get('cluster', clusterId).catch(() => {
      throw new ApiError('InvalidReference', `cluster "${clusterId}" does not exist`, 'clusterId');
    });
    return createRegistrationToken(ctx.store, ctx.services.secretBox, clusterId, ctx.auth.user.id);
  },
  ownerAllows: (verb, obj, ctx) => (verb === 'create' ? true : ownsCluster(obj, ctx)),
  ownListFilter: (ctx) => (obj) => ownsCluster(obj, ctx),
  renderExtra: (obj, ctx) => registrationView(obj, ctx),
  resourceActions: {
    async regenerate(obj, _input, ctx) {
      const updated = await ctx.store.update({
        ...obj,
        spec: { ...obj.spec, tokenEncrypted: ctx.services.secretBox.encrypt(newTokenSecret()) },
      });
      // An agent connected with the old token is cut off; it must come back with the new one.
      const conn = ctx.services.connections.get(String(obj.spec.clusterId));
      if (conn?.kind === 'tunnel' && conn.registrationTokenId === obj.id)
        ctx.services.connections.remove(String(obj.spec.clusterId), conn);
      return updated;
    },
  },
};
