import { Command } from 'commander';
import {
  clusterAlertGroup,
  clusterAlertRule,
  notifier,
  projectAlertGroup,
  projectAlertRule,
} from '../schema/types/alerting.js';
import { resourceVerbs } from './resource.js';
import { examples, listing, output, remote, run } from './verbs.js';

const actions = () => import('./actions/alerts.js');

/** `-f file`: the body as YAML or JSON (credentials never go on a command line). */
const fromFile = (cmd: Command) =>
  cmd.requiredOption('-f, --file <file>', 'the object as YAML or JSON (- reads standard input)');

export function notifiersCommand(): Command {
  const c = new Command('notifiers')
    .alias('notifier')
    .description('where alerts go: Slack, Microsoft Teams, PagerDuty, webhooks, email');
  resourceVerbs(c, notifier, { noun: 'notifier', path: 'notifiers', rm: true });
  examples(
    fromFile(output(c.command('create').description('create a notifier from a file (its credential is sealed)'))),
    'corral notifiers create -f slack.yaml   # clusterId, name, slackConfig: {url, defaultRecipient}',
    'corral notifiers create -f - <<<\'{"clusterId":"c-abcde","name":"ops","smtpConfig":{...}}\'',
  ).action(run(actions, 'createFromFile', notifier.id));
  examples(
    output(
      c
        .command('send')
        .description('send a test message through a notifier now')
        .argument('<id>', 'notifier id')
        .option('--message <text>', 'the message', 'Test message from Corral'),
    ),
    'corral notifiers send c-abcde:n-x2k9q --message "hello"',
  ).action(run(actions, 'notifierSend'));
  return c;
}

export function alertsCommand(): Command {
  const a = new Command('alerts')
    .alias('alert')
    .description('alert rules and groups of clusters and projects, and what fires now');
  examples(
    listing(a.command('ls').description('list every alert rule with its state, firing since and last sent')),
    'corral alerts ls',
    'corral alerts ls -o yaml',
  ).action(run(actions, 'alertsLs'));
  for (const [name, type, noun] of [
    ['groups', clusterAlertGroup, 'cluster alert group'],
    ['rules', clusterAlertRule, 'cluster alert rule'],
    ['project-groups', projectAlertGroup, 'project alert group'],
    ['project-rules', projectAlertRule, 'project alert rule'],
  ] as const) {
    const g = a.command(name).description(`${noun}s`);
    resourceVerbs(g, type, { noun, path: `alerts ${name}`, rm: true });
    examples(
      fromFile(output(g.command('create').description(`create a ${noun} from a file`))),
      `corral alerts ${name} create -f ${name}.yaml`,
    ).action(run(actions, 'createFromFile', type.id));
  }
  for (const [verb, what] of [
    ['mute', 'keep evaluating a rule but send nothing'],
    ['unmute', 'send a muted rule’s alerts again'],
    ['deactivate', 'stop evaluating a rule (its alerts resolve)'],
    ['activate', 'evaluate an inactive rule again'],
  ] as const)
    examples(
      remote(a.command(verb).description(what).argument('<rule>', 'rule id (cluster or project rule)')),
      `corral alerts ${verb} c-abcde:r-x2k9q`,
    ).action(run(actions, 'ruleAction', verb));
  return a;
}

export function monitoringCommand(): Command {
  const m = new Command('monitoring').description(
    'cluster monitoring: a Prometheus beside the server per monitored cluster, and its graphs',
  );
  examples(
    output(m.command('status').description('whether monitoring is on and running').argument('[cluster]', 'cluster')),
    'corral monitoring status prod -o json',
  ).action(run(actions, 'monitoringStatus'));
  examples(
    remote(
      m
        .command('enable')
        .description('turn monitoring on and wait until Prometheus runs')
        .argument('[cluster]', 'cluster (default: the current one)')
        .option('--no-wait', 'return at once'),
    ),
    'corral monitoring enable prod',
  ).action(run(actions, 'monitoringSet', true));
  examples(
    remote(m.command('disable').description('turn monitoring off (Prometheus stops)').argument('[cluster]', 'cluster')),
    'corral monitoring disable prod',
  ).action(run(actions, 'monitoringSet', false));
  examples(
    listing(
      m
        .command('query')
        .description('a graph (or, for cluster members, any PromQL): each series with its latest value')
        .argument('[cluster]', 'cluster (default: the current one)')
        .option('--graph <graph>', 'cpu, memory, network, disk or apiserver')
        .option('--expr <promql>', 'an expression instead of a graph')
        .option('--project <project>', "a project's graph (its namespaces only)")
        .option('--node <node>', 'one node')
        .option('--namespace <namespace>', 'one namespace')
        .option('--workload <name>', "a workload's pods (with --namespace)")
        .option('--pod <name>', 'one pod (with --namespace)')
        .option('--range <seconds>', 'how far back', '3600'),
    ),
    'corral monitoring query prod --graph cpu --node worker-1',
    "corral monitoring query prod --expr 'sum(up) by (job)' -o json",
  ).action(run(actions, 'monitoringQuery'));
  return m;
}
