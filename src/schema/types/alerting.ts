import { f } from '../fields.js';
import { defineSubtype, defineType } from '../schema.js';
import { MANAGEMENT_GROUP } from './common.js';

/**
 * Rancher 2.x's notifiers, alert groups and alert rules (v3 names: `clusterId`, `groupId`,
 * `notifierId`, `nodeId`, `podId`). Credentials (Slack and Teams webhook URLs, the PagerDuty
 * routing key, the SMTP password) are write-only: stored sealed and never rendered.
 */

const proxyUrl = f.string({ maxLength: 2048, description: 'an HTTP proxy for this notifier (not used yet)' });
const httpsUrl = (what: string) =>
  // Required on create, checked by the notifier's behaviour: an update may leave it out to keep it.
  f.password({
    maxLength: 2048,
    pattern: /^https?:\/\/\S+$/,
    patternHint: 'must be an http(s) URL',
    description: `${what} (kept encrypted, never shown again)`,
  });

export const slackConfig = defineSubtype({
  id: 'slackConfig',
  fields: {
    url: httpsUrl('the incoming webhook URL'),
    defaultRecipient: f.string({ maxLength: 255, description: 'a channel such as #alerts' }),
    proxyUrl,
  },
});

export const pagerdutyConfig = defineSubtype({
  id: 'pagerdutyConfig',
  fields: {
    serviceKey: f.password({
      maxLength: 255,
      description: 'the Events API v2 integration (routing) key (kept encrypted)',
    }),
    proxyUrl,
  },
});

export const webhookConfig = defineSubtype({
  id: 'webhookConfig',
  fields: {
    url: f.string({
      required: true,
      maxLength: 2048,
      pattern: /^https?:\/\/\S+$/,
      patternHint: 'must be an http(s) URL',
    }),
    proxyUrl,
  },
});

export const msteamsConfig = defineSubtype({
  id: 'msteamsConfig',
  fields: { url: httpsUrl('the incoming webhook URL'), proxyUrl },
});

export const smtpConfig = defineSubtype({
  id: 'smtpConfig',
  fields: {
    host: f.string({ required: true, maxLength: 253 }),
    port: f.int({ required: true, min: 1, max: 65535 }),
    username: f.string({ maxLength: 1024 }),
    password: f.password({ maxLength: 4096, description: 'kept encrypted, never shown again' }),
    sender: f.string({ required: true, maxLength: 320, pattern: /^[^@\s]+@[^@\s]+$/, patternHint: 'an address' }),
    defaultRecipient: f.string({
      required: true,
      maxLength: 320,
      pattern: /^[^@\s]+@[^@\s]+$/,
      patternHint: 'an address',
    }),
    /** STARTTLS is required when true (the default): a server that does not offer it is refused. */
    tls: f.boolean({ default: true }),
  },
});

export const notifierSendInput = defineSubtype({
  id: 'notifierSendInput',
  fields: { message: f.string({ maxLength: 4096, description: 'the text of the test message' }) },
});

export const notifier = defineType({
  id: 'notifier',
  plural: 'notifiers',
  fields: {
    clusterId: f.ref('cluster', { required: true, update: false }),
    name: f.string({ required: true, minLength: 1, maxLength: 253 }),
    description: f.string({ maxLength: 1024 }),
    sendResolved: f.boolean({ default: false }),
    slackConfig: f.object(slackConfig, { nullable: true }),
    pagerdutyConfig: f.object(pagerdutyConfig, { nullable: true }),
    webhookConfig: f.object(webhookConfig, { nullable: true }),
    smtpConfig: f.object(smtpConfig, { nullable: true }),
    msteamsConfig: f.object(msteamsConfig, { nullable: true }),
    /** Which of the configs is set (exactly one). */
    kind: f.enum(['slack', 'pagerduty', 'webhook', 'email', 'msteams'], { readOnly: true }),
    lastSent: f.date({ readOnly: true }),
    lastError: f.string({ readOnly: true }),
  },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'PUT', 'DELETE'],
  resourceActions: { send: { input: 'notifierSendInput', description: 'send a test message now' } },
  columns: ['id', 'name', 'clusterId', 'kind', 'sendResolved', 'lastSent', 'lastError'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'notifiers' },
});

export const recipient = defineSubtype({
  id: 'recipient',
  fields: {
    notifierId: f.ref('notifier', { required: true }),
    /** A channel, address or key overriding the notifier's default. */
    recipient: f.string({ maxLength: 320 }),
  },
});

const groupFields = {
  name: f.string({ required: true, minLength: 1, maxLength: 253 }),
  description: f.string({ maxLength: 1024 }),
  recipients: f.array(f.object(recipient), { max: 20 }),
  groupWaitSeconds: f.int({ default: 30, min: 1, max: 86400, description: 'wait before the first message of a group' }),
  groupIntervalSeconds: f.int({
    default: 180,
    min: 1,
    max: 86400,
    description: 'wait before telling a group about new alerts',
  }),
  repeatIntervalSeconds: f.int({
    default: 3600,
    min: 1,
    max: 7 * 86400,
    description: 'wait before repeating a message for alerts still firing',
  }),
};

export const clusterAlertGroup = defineType({
  id: 'clusterAlertGroup',
  plural: 'clusterAlertGroups',
  fields: { clusterId: f.ref('cluster', { required: true, update: false }), ...groupFields },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'PUT', 'DELETE'],
  columns: ['id', 'name', 'clusterId', 'groupWaitSeconds', 'repeatIntervalSeconds'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'clusteralertgroups' },
});

export const projectAlertGroup = defineType({
  id: 'projectAlertGroup',
  plural: 'projectAlertGroups',
  fields: { projectId: f.ref('project', { required: true, update: false }), ...groupFields },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'PUT', 'DELETE'],
  columns: ['id', 'name', 'projectId', 'groupWaitSeconds', 'repeatIntervalSeconds'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'projectalertgroups' },
});

export const nodeRule = defineSubtype({
  id: 'nodeRule',
  fields: {
    /** One node (`<clusterId>:<nodeName>` or the node name); empty with no selector: every node. */
    nodeId: f.string({ maxLength: 253 }),
    selector: f.map(f.string(), { description: 'node labels to match (nodes matching a selector)' }),
    condition: f.enum(['notready', 'mem', 'cpu'], { default: 'notready' }),
    memThreshold: f.int({ min: 1, max: 100, default: 70, description: 'percent of allocatable memory requested' }),
    cpuThreshold: f.int({ min: 1, max: 100, default: 70, description: 'percent of allocatable CPU requested' }),
  },
});

export const eventRule = defineSubtype({
  id: 'eventRule',
  fields: {
    eventType: f.enum(['Warning', 'Normal'], { default: 'Warning' }),
    resourceKind: f.string({ required: true, maxLength: 63, description: 'the involved object kind: Pod, Node…' }),
    reason: f.string({ maxLength: 128, description: 'only events with this reason (any when empty)' }),
  },
});

export const systemServiceRule = defineSubtype({
  id: 'systemServiceRule',
  fields: { condition: f.enum(['etcd', 'controller-manager', 'scheduler'], { required: true }) },
});

export const metricRule = defineSubtype({
  id: 'metricRule',
  fields: {
    expression: f.string({ required: true, maxLength: 4096 }),
    description: f.string({ maxLength: 1024 }),
    duration: f.string({ default: '1m', pattern: /^\d+[smh]$/, patternHint: 'such as 30s, 5m or 1h' }),
    comparison: f.enum(
      ['equal', 'not-equal', 'greater-than', 'less-than', 'greater-or-equal', 'less-or-equal', 'has-value'],
      { default: 'greater-than' },
    ),
    thresholdValue: f.int({ default: 0 }),
  },
});

export const podRule = defineSubtype({
  id: 'podRule',
  fields: {
    /** `<namespace>:<pod>`; empty: every pod of the project. */
    podId: f.string({ maxLength: 317 }),
    condition: f.enum(['notrunning', 'notscheduled', 'restarts'], { default: 'notrunning' }),
    restartTimes: f.int({ min: 1, max: 10000, default: 3 }),
    restartIntervalSeconds: f.int({ min: 1, max: 86400, default: 300 }),
  },
});

export const workloadRule = defineSubtype({
  id: 'workloadRule',
  fields: {
    /** `deployment:<namespace>:<name>` (the workload id); empty with a selector: matching workloads. */
    workloadId: f.string({ maxLength: 400 }),
    selector: f.map(f.string()),
    availablePercentage: f.int({ min: 1, max: 100, default: 70 }),
  },
});

/** One thing a rule sees wrong right now (a node, a pod, an event's object). */
export const alertInstance = defineSubtype({
  id: 'alertInstance',
  fields: { key: f.string(), message: f.string(), since: f.date() },
});

const ruleFields = {
  name: f.string({ required: true, minLength: 1, maxLength: 253 }),
  severity: f.enum(['info', 'warning', 'critical'], { default: 'critical' }),
  /** Alerting state: firing (`alerting`), or what the user set (`inactive`, `muted`). */
  firing: f.array(f.object(alertInstance), { readOnly: true }),
  firingSince: f.date({ readOnly: true }),
  lastSent: f.date({ readOnly: true }),
  message: f.string({ readOnly: true }),
};

const ruleActions = {
  activate: { description: 'evaluate the rule again' },
  deactivate: { description: 'stop evaluating the rule (its alerts resolve)' },
  mute: { description: 'keep evaluating but send nothing (an Alertmanager silence)' },
  unmute: { description: 'send again' },
};

export const clusterAlertRule = defineType({
  id: 'clusterAlertRule',
  plural: 'clusterAlertRules',
  fields: {
    clusterId: f.ref('cluster', { required: true, update: false }),
    groupId: f.ref('clusterAlertGroup', { required: true }),
    ...ruleFields,
    nodeRule: f.object(nodeRule, { nullable: true }),
    eventRule: f.object(eventRule, { nullable: true }),
    systemServiceRule: f.object(systemServiceRule, { nullable: true }),
    metricRule: f.object(metricRule, { nullable: true }),
  },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'PUT', 'DELETE'],
  resourceActions: ruleActions,
  columns: ['id', 'name', 'groupId', 'severity', 'state', 'firingSince', 'lastSent'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'clusteralertrules' },
});

export const projectAlertRule = defineType({
  id: 'projectAlertRule',
  plural: 'projectAlertRules',
  fields: {
    projectId: f.ref('project', { required: true, update: false }),
    groupId: f.ref('projectAlertGroup', { required: true }),
    ...ruleFields,
    podRule: f.object(podRule, { nullable: true }),
    workloadRule: f.object(workloadRule, { nullable: true }),
    metricRule: f.object(metricRule, { nullable: true }),
  },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'PUT', 'DELETE'],
  resourceActions: ruleActions,
  columns: ['id', 'name', 'groupId', 'severity', 'state', 'firingSince', 'lastSent'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'projectalertrules' },
});
