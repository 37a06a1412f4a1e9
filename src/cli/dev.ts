import { Command, InvalidArgumentError as UsageError, Option } from 'commander';
import { OUTPUT_FORMATS, type OutputFormat } from './output.js';

/** `corral dev cluster up|down|ls`: real local Kubernetes control planes for trying Corral. */
export function devCommand(): Command {
  const dev = new Command('dev').description('local development helpers');
  const cluster = dev
    .command('cluster')
    .description('real local Kubernetes clusters (etcd, kube-apiserver, controllers, kwok nodes) on 127.0.0.1');

  cluster
    .command('up')
    .description('start a local cluster and print where its kubeconfig is')
    .option('--name <name>', 'cluster name', 'corral-dev')
    .option(
      '--nodes <count>',
      'nodes: simulated by kwok (0 runs no scheduler or kwok), or real with --runtime',
      parseCount,
      1,
    )
    .addOption(
      new Option('--runtime <runtime>', 'kwok: simulated nodes; containerd: real nodes that run containers (root)')
        .choices(['kwok', 'containerd'])
        .default('kwok'),
    )
    .option('--port <port>', 'kube-apiserver port on 127.0.0.1 (default: a free one)', parsePort)
    .addHelpText(
      'after',
      `
Examples:
  corral dev cluster up
  corral dev cluster up --name team-a --nodes 3
  export KUBECONFIG=$(corral dev cluster up --name b -q)
  sudo corral dev cluster up --name real --runtime containerd --nodes 2

With --runtime containerd the nodes are hosts made on this machine (network namespaces with their
own sshd, mounts and cgroups, on a bridge) and the cluster is made on them by \`corral up\`:
containerd, kubelet, kube-proxy, flannel, CoreDNS and metrics-server. The first node is control
plane, etcd and worker; the image corral.local/toolbox:latest (busybox) is on every node.`,
    )
    .option('-q, --quiet', 'print only the kubeconfig path')
    .action(
      async (opts: { name: string; nodes: number; runtime: 'kwok' | 'containerd'; port?: number; quiet?: boolean }) => {
        const { devClusterUp, DevClusterError } = await import('../localcluster/dev-clusters.js');
        if (opts.runtime === 'containerd' && opts.port !== undefined)
          throw new DevClusterError(
            '--port is for kwok clusters: a containerd cluster serves on its first node, port 6443',
          );
        const t0 = Date.now();
        const progress = (m: string) => {
          if (!opts.quiet) process.stderr.write(`[${((Date.now() - t0) / 1000).toFixed(1)}s] ${m}\n`);
        };
        const state = await devClusterUp({
          name: opts.name,
          nodes: opts.nodes,
          runtime: opts.runtime,
          port: opts.port,
          onProgress: progress,
        });
        if (opts.quiet) {
          process.stdout.write(`${state.kubeconfig}\n`);
          return;
        }
        progress(`cluster "${state.name}" is ready (Kubernetes ${state.kubernetesVersion}, ${state.nodes} nodes)`);
        process.stdout.write(
          `server:     ${state.server}\nkubeconfig: ${state.kubeconfig}\n\n` +
            `Try:  kubectl --kubeconfig ${state.kubeconfig} get nodes\n` +
            `Stop: corral dev cluster down --name ${state.name}\n`,
        );
      },
    );

  cluster
    .command('down')
    .description('stop a local cluster and delete its data')
    .option('--name <name>', 'cluster name', 'corral-dev')
    .option('--keep-data', 'stop the processes but keep the data, to start it again later with up')
    .action(async (opts: { name: string; keepData?: boolean }) => {
      const { devClusterDown } = await import('../localcluster/dev-clusters.js');
      const result = await devClusterDown(opts);
      const stopped = result.stopped.length ? `stopped ${result.stopped.join(', ')}` : 'nothing was running';
      process.stderr.write(`${opts.name}: ${stopped}${result.removed ? '; data removed' : '; data kept'}\n`);
    });

  cluster
    .command('ls')
    .description('list local clusters')
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .option('-q, --quiet', 'print only names')
    .action(async (opts: { output: OutputFormat; quiet?: boolean }) => {
      const [{ listDevClusters }, { printListing }] = await Promise.all([
        import('../localcluster/dev-clusters.js'),
        import('./output.js'),
      ]);
      const rows = await listDevClusters();
      printListing(
        rows,
        [
          { header: 'name', value: (r) => r.name },
          { header: 'status', value: (r) => r.status },
          { header: 'kubernetes', value: (r) => r.kubernetesVersion },
          { header: 'nodes', value: (r) => r.nodes },
          { header: 'server', value: (r) => r.server },
          { header: 'kubeconfig', value: (r) => r.kubeconfig },
        ],
        opts,
      );
    });
  return dev;
}

function parseCount(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 1000)
    throw new UsageError(`--nodes must be a whole number from 0 to 1000, not "${value}"`);
  return n;
}

function parsePort(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 65535)
    throw new UsageError(`--port must be a port number from 1 to 65535, not "${value}"`);
  return n;
}
