import { Command } from 'commander';
import { cluster } from '../schema/types/cluster.js';
import { addCreateFlags } from './resource.js';
import { run, examples, remote, listing, output } from './verbs.js';

const actions = () => import('./actions/clusters.js');

/** The name is the argument; the kubeconfig comes from a file (--kubeconfig). */
export const CLUSTER_CREATE_OMIT = ['name', 'importedConfig'];

export function clustersCommand(): Command {
  const c = new Command('clusters').alias('cluster').description('clusters managed by the server');
  examples(listing(c.command('ls').description('list clusters')), 'corral clusters ls', 'corral clusters ls -q').action(
    run(actions, 'clustersLs'),
  );
  examples(
    output(c.command('get').description('show one cluster').argument('<cluster>', 'id or name')),
    'corral clusters get prod -o yaml',
  ).action(run(actions, 'clustersGet'));
  examples(
    addCreateFlags(
      output(
        c
          .command('create')
          .description('register a cluster; with --kubeconfig the server reaches it directly, else import it')
          .argument('<name>', 'cluster name')
          .option('--kubeconfig <file>', 'admin kubeconfig of a cluster the server can reach'),
      ),
      cluster,
      CLUSTER_CREATE_OMIT,
    ),
    'corral clusters create lab --kubeconfig ~/.kube/lab.yaml',
  ).action(run(actions, 'clustersCreate'));
  examples(
    addCreateFlags(
      output(
        c
          .command('import')
          .description('create a cluster to import and print the kubectl command that installs its agent')
          .argument('<name>', 'cluster name')
          .option('--wait', 'show progress until the cluster is active')
          .option('--timeout <seconds>', 'with --wait, give up after this long', '600'),
      ),
      cluster,
      CLUSTER_CREATE_OMIT,
    ),
    'corral clusters import edge-1 --wait',
    'corral clusters import edge-1 -o json | jq -r .insecureCommand',
  ).action(run(actions, 'clustersImport'));
  examples(
    remote(
      c
        .command('rm')
        .description('delete a cluster (removes the agent and its RBAC from it)')
        .argument('<cluster>', 'id or name')
        .option('--force', 'delete even when the cluster cannot be reached'),
    ),
    'corral clusters rm c-abcde',
  ).action(run(actions, 'clustersRm'));
  examples(
    remote(
      c
        .command('kubeconfig')
        .description('a kubeconfig for a cluster through the server (printed, written or merged)')
        .argument('[cluster]', 'id or name (default: the current cluster)')
        .option('-f, --file <file>', 'write it to this file (mode 0600)')
        .option('--merge', 'merge it into ~/.kube/config (or $KUBECONFIG) and make it current'),
    ),
    'corral clusters kubeconfig prod > prod.yaml',
    'corral clusters kubeconfig prod --merge',
  ).action(run(actions, 'clustersKubeconfig'));
  examples(
    output(
      c
        .command('import-yaml')
        .description('apply Kubernetes YAML to a cluster as you (cluster, project or namespace scope)')
        .argument('<file>', 'a YAML file, or - for standard input')
        .option('--cluster <cluster>', 'cluster id or name (default: the current cluster)')
        .option('--project <project>', 'project scope: namespaces the YAML creates join this project')
        .option('-n, --namespace <namespace>', 'namespace scope: everything goes into this namespace')
        .option('--default-namespace <namespace>', 'for namespaced objects that name no namespace'),
    ),
    'corral clusters import-yaml app.yaml --default-namespace web',
    'corral clusters import-yaml app.yaml --project team-a',
    'cat app.yaml | corral clusters import-yaml - -n web',
  ).action(run(actions, 'clustersImportYaml'));
  return c;
}
