import { Command, Option } from 'commander';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { OUTPUT_FORMATS, printListing, type OutputFormat } from '../output.js';
import { ask, interactive } from '../prompt.js';
import { UsageError } from '../usage-error.js';
import type { SessionOptions } from '../../provision/session.js';

interface CommonOpts {
  config: string;
  acceptNewHostKeys?: boolean;
  knownHosts?: string;
}

/** The options every verb that reaches the nodes takes (RKE's --config, plus host-key handling). */
function withCommon(cmd: Command): Command {
  return cmd
    .option('--config <file>', 'the cluster description', 'cluster.yml')
    .option(
      '--accept-new-host-keys',
      'trust and remember SSH host keys not yet in known_hosts (a changed key is always refused)',
    )
    .option('--known-hosts <file>', 'OpenSSH known_hosts file', join(homedir(), '.ssh', 'known_hosts'));
}

const sessionOptions = (o: CommonOpts): SessionOptions => ({
  configPath: o.config,
  acceptNewHostKeys: o.acceptNewHostKeys,
  knownHostsPath: o.knownHosts,
});

async function confirm(question: string, yes: boolean | undefined): Promise<void> {
  if (yes) return;
  if (!interactive()) throw new UsageError(`${question} — not a terminal, so pass --yes (or --force) to confirm`);
  const answer = await ask(`${question} [y/N]: `);
  if (!/^y(es)?$/i.test(answer)) throw new Error('cancelled; nothing was changed');
}

async function withSession<T>(
  o: CommonOpts,
  extra: { includeRemoved?: boolean },
  fn: (s: import('../../provision/session.js').Session) => Promise<T>,
): Promise<T> {
  const { openSession } = await import('../../provision/session.js');
  const session = await openSession({ ...sessionOptions(o), ...extra });
  try {
    return await fn(session);
  } finally {
    session.close();
  }
}

export function upCommand(): Command {
  return withCommon(new Command('up'))
    .description('build or update the cluster described by cluster.yml over SSH (safe to run again at any time)')
    .addHelpText(
      'after',
      `
Reads cluster.yml, checks every node, then brings up etcd, the control plane and the worker plane
as supervised processes, applies addons, and writes kube_config_cluster.yml and cluster.rkestate
next to cluster.yml. Edit cluster.yml and run it again to add or remove nodes and roles, or to
upgrade kubernetes_version; with no change it changes nothing.

Examples:
  corral config                 # write cluster.yml by answering questions
  corral up --accept-new-host-keys
  kubectl --kubeconfig kube_config_cluster.yml get nodes`,
    )
    .action(async (o: CommonOpts) => {
      const { up } = await import('../../provision/up.js');
      const result = await up(sessionOptions(o));
      process.stdout.write(
        `kubeconfig: ${result.kubeconfigPath}\nstate:      ${result.statePath}\nchanges:    ${result.changed.length}\n`,
      );
      const notStarted = Object.keys(result.workerNotStarted);
      if (notStarted.length)
        process.stdout.write(
          `worker plane configured but not started on ${notStarted.join(', ')}: ${Object.values(result.workerNotStarted)[0]}\n`,
        );
    });
}

export function removeCommand(): Command {
  return withCommon(new Command('remove'))
    .description('tear the cluster down: stop every component on every node and remove its files')
    .option('--force', 'do not ask for confirmation')
    .option('--keep-snapshots', `keep etcd snapshots in /opt/rke/etcd-snapshots on the nodes`)
    .action(async (o: CommonOpts & { force?: boolean; keepSnapshots?: boolean }) => {
      await confirm('Are you sure you want to remove the Kubernetes cluster? Its data is deleted', o.force);
      const { removeCluster } = await import('../../provision/remove.js');
      await withSession(o, { includeRemoved: true }, (s) =>
        removeCluster(s, { keepSnapshots: Boolean(o.keepSnapshots) }),
      );
    });
}

export function etcdCommand(): Command {
  const etcd = new Command('etcd').description('etcd snapshots of a cluster made by `corral up`');
  withCommon(etcd.command('snapshot-save'))
    .description('save a snapshot on every etcd node under /opt/rke/etcd-snapshots (and upload it with s3backupconfig)')
    .option('--name <name>', 'snapshot name (default: corral_etcd_snapshot_<timestamp>)')
    .action(async (o: CommonOpts & { name?: string }) => {
      const { snapshotSave, defaultSnapshotName } = await import('../../provision/snapshot.js');
      const name = o.name ?? defaultSnapshotName();
      await withSession(o, {}, (s) => snapshotSave(s, name));
      process.stdout.write(`${name}\n`);
    });
  withCommon(etcd.command('snapshot-restore'))
    .description(
      'restore every etcd member from a snapshot (destructive; a safety snapshot is taken first); a node lacking it downloads it from S3 with s3backupconfig',
    )
    .requiredOption('--name <name>', 'snapshot name, as given to snapshot-save')
    .option('-y, --yes', 'do not ask for confirmation')
    .action(async (o: CommonOpts & { name: string; yes?: boolean }) => {
      await confirm(`Restore etcd from "${o.name}"? Everything written to the cluster since is lost`, o.yes);
      const { snapshotRestore } = await import('../../provision/snapshot.js');
      const r = await withSession(o, {}, (s) => snapshotRestore(s, o.name));
      process.stdout.write(`restored ${o.name} (safety snapshot: ${r.safetySnapshot})\n`);
    });
  withCommon(etcd.command('snapshot-ls'))
    .description('list the snapshots on the etcd nodes, and in S3 (node "s3") with s3backupconfig')
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .action(async (o: CommonOpts & { output: OutputFormat }) => {
      const { snapshotList } = await import('../../provision/snapshot.js');
      const rows = await withSession(o, {}, (s) => snapshotList(s));
      printListing(
        rows,
        [
          { header: 'name', value: (r) => r.path.split('/').pop() },
          { header: 'node', value: (r) => r.node },
          { header: 'bytes', value: (r) => r.bytes },
        ],
        { output: o.output },
      );
    });
  return etcd;
}

export function certCommand(): Command {
  const cert = new Command('cert').description('certificates of a cluster made by `corral up`');
  withCommon(cert.command('rotate'))
    .description('issue new certificates and restart what uses them')
    .option(
      '--service <name>',
      'only this service (repeatable): etcd, kubelet, kube-apiserver, kube-proxy, kube-scheduler, kube-controller-manager',
      (v: string, acc: string[]) => [...acc, v],
      [] as string[],
    )
    .option('--rotate-ca', 'new CA too, and every certificate with it (kubeconfigs must be replaced)')
    .action(async (o: CommonOpts & { service: string[]; rotateCa?: boolean }) => {
      const { certRotate } = await import('../../provision/cert-rotate.js');
      const r = await withSession(o, {}, (s) => certRotate(s, { services: o.service, rotateCa: Boolean(o.rotateCa) }));
      process.stdout.write(`kubeconfig: ${r.kubeconfigPath}\nchanges:    ${r.changed.length}\n`);
    });
  return cert;
}

export function clusterVersionCommand(): Command {
  return new Command('version')
    .description("print the Kubernetes version of the cluster made from cluster.yml (corral -v prints Corral's)")
    .option('--config <file>', 'the cluster description', 'cluster.yml')
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .action(async (o: { config: string; output: OutputFormat }) => {
      const { clusterVersion } = await import('../../provision/version.js');
      const v = await clusterVersion(o.config);
      if (o.output === 'table') process.stdout.write(`Server Version: ${v.server}\n`);
      else printListing([v], [{ header: 'server', value: (r) => r.server }], { output: o.output });
    });
}
