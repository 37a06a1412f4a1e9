import { Command } from 'commander';
import { examples, remote, run } from './verbs.js';

const actions = () => import('./actions/logs.js');

export function logsCommand(): Command {
  return examples(
    remote(
      new Command('logs')
        .description("print a pod's container logs, as you (the cluster's RBAC decides: pods/log)")
        .argument('<pod>', 'pod name')
        .option('-n, --namespace <namespace>', 'namespace of the pod', 'default')
        .option('-c, --container <container>', 'container (app or init); needed when the pod has several')
        .option('-p, --previous', 'the last terminated instance of the container (after a crash or restart)')
        .option('-f, --follow', 'keep printing new lines until the container ends or Ctrl-C')
        .option('--tail <lines>', 'only the last <lines> lines')
        .option('--timestamps', 'start each line with its RFC 3339 time')
        .option('--cluster <cluster>', 'cluster id or name (default: the current cluster)'),
    ),
    'corral logs web-7d9c -n shop',
    'corral logs web-7d9c -n shop -c init-db --previous',
    'corral logs web-7d9c -n shop -f --tail 100 --timestamps',
  ).action(run(actions, 'logs'));
}
