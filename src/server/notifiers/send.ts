import type { StoredObject } from '../../store/types.js';
import type { SecretBox } from '../secrets/encryption.js';
import { SmtpError, sendMail } from './smtp.js';

/** One alert as Alertmanager's webhook carries it. */
export interface AlertmanagerAlert {
  status: 'firing' | 'resolved';
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
  fingerprint?: string;
}

/**
 * Alertmanager's webhook payload (version 4): what Alertmanager posts to Corral for each group
 * it decides to notify, and what Corral forwards as is to generic webhook notifiers (as Rancher).
 */
export interface Notification {
  version: '4';
  groupKey: string;
  truncatedAlerts?: number;
  status: 'firing' | 'resolved';
  receiver: string;
  groupLabels: Record<string, string>;
  commonLabels: Record<string, string>;
  commonAnnotations: Record<string, string>;
  externalURL: string;
  alerts: AlertmanagerAlert[];
}

export type NotifierKind = 'slack' | 'pagerduty' | 'webhook' | 'email' | 'msteams';

/** Which config field holds each kind, and which of its fields is the sealed credential. */
export const NOTIFIER_CONFIGS: Record<NotifierKind, { field: string; secret?: string }> = {
  slack: { field: 'slackConfig', secret: 'url' },
  pagerduty: { field: 'pagerdutyConfig', secret: 'serviceKey' },
  webhook: { field: 'webhookConfig' },
  email: { field: 'smtpConfig', secret: 'password' },
  msteams: { field: 'msteamsConfig', secret: 'url' },
};

/** The spec key the sealed credential is stored under (not a declared field: never rendered). */
export const SEALED_KEY = 'credentialEncrypted';

/** PagerDuty's Events API v2; overridable for a private relay (and for tests). */
export const pagerdutyEventsUrl = () =>
  process.env.CORRAL_PAGERDUTY_EVENTS_URL ?? 'https://events.pagerduty.com/v2/enqueue';

export class NotifyError extends Error {}

function title(n: Notification): string {
  const firing = n.alerts.filter((a) => a.status === 'firing').length;
  const group = n.groupLabels.group_name ?? n.commonLabels.group_name ?? n.receiver;
  return n.status === 'firing' ? `[FIRING:${firing}] ${group}` : `[RESOLVED] ${group}`;
}

function alertLine(a: AlertmanagerAlert): string {
  const what = a.annotations.message ?? a.annotations.summary ?? a.labels.alertname ?? 'alert';
  const where = a.labels.cluster_name ?? a.labels.cluster_id ?? '';
  return `${a.status === 'resolved' ? 'RESOLVED' : (a.labels.severity ?? 'firing').toUpperCase()}: ${a.labels.rule_name ?? a.labels.alertname ?? ''} - ${what}${where ? ` (cluster ${where})` : ''} since ${a.startsAt}`;
}

function text(n: Notification): string {
  return [title(n), ...n.alerts.map(alertLine)].join('\n');
}

async function postJson(url: string, body: unknown, what: string): Promise<void> {
  let res: Response;
  try {
    res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(15_000),
      redirect: 'error',
    });
  } catch (err) {
    const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
    // The URL itself may be the credential (Slack, Teams): only its origin is named.
    throw new NotifyError(`${what}: could not reach ${new URL(url).origin}: ${cause}`);
  }
  const reply = await res.text().catch(() => '');
  if (!res.ok) throw new NotifyError(`${what}: ${new URL(url).origin} answered ${res.status}: ${reply.slice(0, 200)}`);
}

const PD_SEVERITY: Record<string, string> = { critical: 'critical', warning: 'warning', info: 'info' };
const COLOUR: Record<string, string> = { critical: 'D32F2F', warning: 'F9A825', info: '1976D2', resolved: '2E7D32' };

/**
 * Sends one notification through one notifier, in the format its service documents. The
 * credential is unsealed here, used once, and never logged or returned.
 */
export async function sendNotification(
  obj: StoredObject,
  box: SecretBox,
  n: Notification,
  recipient?: string,
): Promise<void> {
  const kind = notifierKind(obj.spec);
  if (!kind) throw new NotifyError(`notifier ${obj.id} has no configuration`);
  const cfg = obj.spec[NOTIFIER_CONFIGS[kind].field] as Record<string, unknown>;
  const sealed = obj.spec[SEALED_KEY];
  const secret = typeof sealed === 'string' && sealed ? box.decrypt(sealed) : '';
  const colour = n.status === 'resolved' ? COLOUR.resolved : (COLOUR[n.commonLabels.severity ?? ''] ?? COLOUR.critical);
  switch (kind) {
    case 'slack': {
      // https://api.slack.com/messaging/webhooks: `text` is required; attachments add colour.
      const channel = recipient || (cfg.defaultRecipient as string | undefined);
      await postJson(
        secret,
        {
          text: title(n),
          ...(channel ? { channel } : {}),
          attachments: [{ color: `#${colour}`, fallback: text(n), text: n.alerts.map(alertLine).join('\n') }],
        },
        'Slack',
      );
      return;
    }
    case 'msteams':
      // Office 365 connector card (MessageCard), what Teams incoming webhooks take.
      await postJson(
        secret,
        {
          '@type': 'MessageCard',
          '@context': 'https://schema.org/extensions',
          summary: title(n),
          themeColor: colour,
          title: title(n),
          text: n.alerts.map(alertLine).join('\n\n'),
        },
        'Microsoft Teams',
      );
      return;
    case 'webhook':
      await postJson(String(cfg.url), n, 'webhook');
      return;
    case 'pagerduty':
      // Events API v2: one event per alert, deduplicated by its fingerprint so resolve closes it.
      for (const a of n.alerts) {
        await postJson(
          pagerdutyEventsUrl(),
          {
            routing_key: recipient || secret,
            event_action: a.status === 'resolved' ? 'resolve' : 'trigger',
            dedup_key: a.fingerprint ?? `${n.groupKey}/${a.labels.alert_key ?? a.labels.alertname ?? ''}`,
            payload: {
              summary: alertLine(a).slice(0, 1024),
              source: a.labels.cluster_name ?? a.labels.cluster_id ?? 'corral',
              severity: PD_SEVERITY[a.labels.severity ?? ''] ?? 'error',
              timestamp: a.startsAt,
              component: a.labels.alert_key,
              group: a.labels.group_name,
              class: a.labels.rule_kind,
              custom_details: { ...a.labels, ...a.annotations },
            },
          },
          'PagerDuty',
        );
      }
      return;
    case 'email':
      await sendMail({
        host: String(cfg.host),
        port: Number(cfg.port),
        requireTls: cfg.tls !== false,
        username: (cfg.username as string | undefined) || undefined,
        password: secret,
        from: String(cfg.sender),
        to: [recipient || String(cfg.defaultRecipient)],
        subject: title(n),
        text: text(n),
      }).catch((err: unknown) => {
        throw err instanceof SmtpError ? new NotifyError(`email: ${err.message}`) : err;
      });
      return;
  }
}

export function notifierKind(spec: Record<string, unknown>): NotifierKind | undefined {
  return (Object.keys(NOTIFIER_CONFIGS) as NotifierKind[]).find((k) => spec[NOTIFIER_CONFIGS[k].field]);
}

/** A notification for `?action=send`: one firing alert carrying the user's message. */
export function testNotification(obj: StoredObject, message: string): Notification {
  const labels = {
    alertname: 'CorralTestMessage',
    severity: 'info',
    cluster_id: String(obj.spec.clusterId ?? ''),
    group_name: 'test',
    rule_name: 'test message',
    alert_key: `test/${obj.id}`,
  };
  const now = new Date().toISOString();
  return {
    version: '4',
    groupKey: `test/${obj.id}`,
    status: 'firing',
    receiver: String(obj.spec.name),
    groupLabels: { group_name: 'test' },
    commonLabels: labels,
    commonAnnotations: { message },
    externalURL: '',
    alerts: [{ status: 'firing', labels, annotations: { message }, startsAt: now, endsAt: '0001-01-01T00:00:00Z' }],
  };
}
