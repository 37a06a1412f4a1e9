import { notifier } from '../../schema/types/alerting.js';
import type { StoredObject } from '../../store/types.js';
import type { ApiContext, TypeBehavior } from '../api/context.js';
import { CLUSTER_SCOPE, checkScope, scopedAccess, scopedId } from '../alerts/access.js';
import { ApiError } from '../http/errors.js';
import {
  NOTIFIER_CONFIGS,
  NotifyError,
  SEALED_KEY,
  notifierKind,
  sendNotification,
  testNotification,
  type NotifierKind,
} from './send.js';

const KINDS = Object.keys(NOTIFIER_CONFIGS) as NotifierKind[];

/**
 * Exactly one config; its credential is taken out of it and sealed under SEALED_KEY, so the
 * config as stored (and rendered) never holds it. On update a config of the same kind that
 * omits the credential keeps the sealed one: GET-modify-PUT works without re-entering it.
 */
function sealCredential(
  spec: Record<string, unknown>,
  ctx: ApiContext,
  previous?: Record<string, unknown>,
): Record<string, unknown> {
  const set = KINDS.filter((k) => spec[NOTIFIER_CONFIGS[k].field]);
  if (set.length !== 1)
    throw new ApiError(
      set.length ? 'InvalidFormat' : 'MissingRequired',
      `give exactly one of ${KINDS.map((k) => NOTIFIER_CONFIGS[k].field).join(', ')}${set.length ? ` (got ${set.map((k) => NOTIFIER_CONFIGS[k].field).join(', ')})` : ''}`,
    );
  const kind = set[0]!;
  const { field, secret } = NOTIFIER_CONFIGS[kind];
  const out: Record<string, unknown> = { ...spec, kind };
  for (const k of KINDS) if (k !== kind) delete out[NOTIFIER_CONFIGS[k].field];
  delete out[SEALED_KEY];
  if (!secret) return out;
  const cfg = { ...(spec[field] as Record<string, unknown>) };
  const given = cfg[secret];
  delete cfg[secret];
  out[field] = cfg;
  if (typeof given === 'string' && given !== '') out[SEALED_KEY] = ctx.services.secretBox.encrypt(given);
  else if (previous && notifierKind(previous) === kind && previous[SEALED_KEY]) out[SEALED_KEY] = previous[SEALED_KEY];
  else if (kind !== 'email')
    throw new ApiError('MissingRequired', `${field}.${secret} is required`, `${field}.${secret}`);
  return out;
}

export const notifierBehavior: TypeBehavior = {
  async prepareCreate(fields, ctx) {
    const clusterId = await checkScope(CLUSTER_SCOPE, fields, ctx, ctx.can('create', notifier));
    return { id: scopedId(CLUSTER_SCOPE, clusterId, 'n-'), spec: sealCredential(fields, ctx) };
  },
  async prepareUpdate(existing, fields, ctx) {
    const merged: Record<string, unknown> = { ...existing.spec, ...fields };
    // A config named in the update replaces the stored one, so switching kind is one PUT.
    const named = KINDS.filter((k) => fields[NOTIFIER_CONFIGS[k].field]);
    if (named.length) for (const k of KINDS) if (!named.includes(k)) delete merged[NOTIFIER_CONFIGS[k].field];
    return sealCredential(merged, ctx, existing.spec);
  },
  async beforeDelete(existing, ctx) {
    const users: string[] = [];
    for (const type of ['clusterAlertGroup', 'projectAlertGroup']) {
      for (const g of (await ctx.store.list(type)).items) {
        const recipients = (g.spec.recipients as { notifierId?: string }[] | undefined) ?? [];
        if (recipients.some((r) => r.notifierId === existing.id)) users.push(g.id);
      }
    }
    if (users.length)
      throw new ApiError(
        'Conflict',
        `notifier ${existing.id} is a recipient of alert groups ${users.join(', ')}: remove it there first`,
      );
  },
  ...scopedAccess(CLUSTER_SCOPE),
  resourceActions: {
    async send(obj: StoredObject, input: Record<string, unknown>, ctx: ApiContext) {
      const message = typeof input.message === 'string' && input.message ? input.message : 'Test message from Corral';
      try {
        await sendNotification(obj, ctx.services.secretBox, testNotification(obj, message));
      } catch (err) {
        if (err instanceof NotifyError)
          throw new ApiError('InvalidValue', `the test message was not sent: ${err.message}`);
        throw err;
      }
      return { message: 'sent' };
    },
  },
};
