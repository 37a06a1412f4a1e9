import { Command } from 'commander';
import { run, examples, remote, listing, output } from './verbs.js';

const actions = () => import('./actions/namespaces.js');

export function namespacesCommand(): Command {
  const n = new Command('namespaces').alias('ns').description('namespaces of the current cluster and project');
  examples(
    listing(
      n
        .command('ls')
        .description('list namespaces of the current project (all visible ones with -A)')
        .option('-A, --all', 'every namespace of the cluster you may see')
        .option('--cluster <cluster>', 'cluster id or name')
        .option('--project <project>', 'project id or name'),
    ),
    'corral namespaces ls',
    'corral namespaces ls -A',
  ).action(run(actions, 'namespacesLs'));
  examples(
    output(
      n
        .command('create')
        .description('create a namespace in the current project')
        .argument('<name>', 'namespace name')
        .option('--cluster <cluster>', 'cluster id or name')
        .option('--project <project>', 'project id or name')
        .option('--no-project', 'create it outside any project (cluster owners)'),
    ),
    'corral namespaces create web',
  ).action(run(actions, 'namespacesCreate'));
  examples(
    output(
      n
        .command('move')
        .description('move a namespace to another project ("none" takes it out of its project)')
        .argument('<name>', 'namespace name')
        .argument('<project>', 'project id or name, or none')
        .option('--cluster <cluster>', 'cluster id or name'),
    ),
    'corral namespaces move web team-b',
  ).action(run(actions, 'namespacesMove'));
  examples(
    remote(
      n
        .command('rm')
        .description('delete a namespace')
        .argument('<name>', 'namespace name')
        .option('--cluster <cluster>', 'cluster id or name'),
    ),
    'corral namespaces rm web',
  ).action(run(actions, 'namespacesRm'));
  return n;
}
