import { Command } from 'commander';
import { examples, listing, output, remote, run } from './verbs.js';

const actions = () => import('./actions/workloads.js');

/** The cluster and project a workload verb works in (default: the current context). */
const scoped = (cmd: Command) =>
  cmd.option('--cluster <cluster>', 'cluster id or name').option('--project <project>', 'project id or name');

export function workloadsCommand(): Command {
  const w = new Command('workloads')
    .alias('wl')
    .description('workloads (Deployments, StatefulSets, DaemonSets, Jobs, CronJobs) of the current project');
  examples(
    listing(scoped(w.command('ls').description('list the workloads of the project'))),
    'corral workloads ls',
    'corral workloads ls --project team-a -o yaml',
  ).action(run(actions, 'workloadsLs'));
  examples(
    output(scoped(w.command('get').description('show one workload').argument('<id>', 'deployment:<namespace>:<name>'))),
    'corral workloads get deployment:web:shop -o yaml',
  ).action(run(actions, 'workloadsGet'));
  examples(
    remote(scoped(w.command('rm').description('delete a workload and its Services').argument('<id>', 'workload id'))),
    'corral workloads rm deployment:web:shop',
  ).action(run(actions, 'workloadsRm'));
  for (const [verb, what] of [
    ['redeploy', 'restart its pods, as its strategy says'],
    ['pause', 'stop rolling out changes (Deployments)'],
    ['resume', 'roll out what changed while paused (Deployments)'],
  ] as const)
    examples(
      output(scoped(w.command(verb).description(what).argument('<id>', 'workload id'))),
      `corral workloads ${verb} deployment:web:shop`,
    ).action(run(actions, 'workloadsAction', verb));
  examples(
    listing(
      scoped(w.command('revisions').description("list a Deployment's revisions").argument('<id>', 'workload id')),
    ),
    'corral workloads revisions deployment:web:shop',
  ).action(run(actions, 'workloadsRevisions'));
  examples(
    output(
      scoped(
        w
          .command('rollback')
          .description("bring back an earlier revision's pod template (default: the one before the current)")
          .argument('<id>', 'workload id')
          .option('--revision <n>', 'revision number (see corral workloads revisions)')
          .option('--replica-set <name>', "the revision's ReplicaSet"),
      ),
    ),
    'corral workloads rollback deployment:web:shop',
    'corral workloads rollback deployment:web:shop --revision 2',
  ).action(run(actions, 'workloadsRollback'));
  return w;
}
