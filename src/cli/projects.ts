import { Command } from 'commander';
import { project } from '../schema/types/project.js';
import { addCreateFlags } from './resource.js';
import { run, examples, remote, listing, output } from './verbs.js';

const actions = () => import('./actions/projects.js');

/** The name is the argument and the cluster a name or the current one (--cluster). */
export const PROJECT_CREATE_OMIT = ['name', 'clusterId'];

export function projectsCommand(): Command {
  const p = new Command('projects').alias('project').description('projects of the current cluster');
  examples(
    listing(p.command('ls').description('list projects').option('--cluster <cluster>', 'cluster id or name')),
    'corral projects ls',
  ).action(run(actions, 'projectsLs'));
  examples(
    addCreateFlags(
      output(
        p
          .command('create')
          .description('create a project')
          .argument('<name>', 'project name')
          .option('--cluster <cluster>', 'cluster id or name'),
      ),
      project,
      PROJECT_CREATE_OMIT,
    ),
    'corral projects create team-a',
  ).action(run(actions, 'projectsCreate'));
  examples(
    remote(
      p
        .command('rm')
        .description('delete a project')
        .argument('<project>', 'id or name')
        .option('--cluster <cluster>', 'cluster id or name'),
    ),
    'corral projects rm team-a',
  ).action(run(actions, 'projectsRm'));
  const q = p.command('quota').description("the project's resource quota and container defaults");
  examples(
    output(
      q
        .command('set')
        .description('set the project limit, the per-namespace default quota and container defaults')
        .option('--project <project>', 'project id or name (default: the current project)')
        .option('--limit <field=quantity,...>', 'the whole project, e.g. pods=20,requestsCpu=4')
        .option('--namespace-default <field=quantity,...>', 'each namespace unless it says otherwise, e.g. pods=5')
        .option('--container-default <field=quantity,...>', 'requestsCpu, requestsMemory, limitsCpu, limitsMemory')
        .option('--clear', 'remove the quota and container defaults'),
    ),
    'corral projects quota set --limit pods=20,limitsMemory=8Gi --namespace-default pods=5,limitsMemory=2Gi',
    'corral projects quota set --container-default limitsCpu=500m,limitsMemory=256Mi',
    'corral projects quota set --project team-a --clear',
  ).action(run(actions, 'quotaSet'));
  const m = p.command('members').description('members of the current project');
  examples(
    listing(m.command('ls').description('list members').option('--project <project>', 'project id or name')),
    'corral projects members ls',
  ).action(run(actions, 'membersLs'));
  examples(
    output(
      m
        .command('add')
        .description('give a user a role in the project')
        .argument('<user>', 'username or user id')
        .requiredOption('--role <roleTemplateId>', 'role template, e.g. project-member, project-owner, read-only')
        .option('--project <project>', 'project id or name'),
    ),
    'corral projects members add alice --role project-member',
  ).action(run(actions, 'membersAdd'));
  examples(
    remote(
      m
        .command('rm')
        .description("remove a user's roles in the project")
        .argument('<user>', 'username or user id')
        .option('--role <roleTemplateId>', 'only this role')
        .option('--project <project>', 'project id or name'),
    ),
    'corral projects members rm alice',
  ).action(run(actions, 'membersRm'));
  return p;
}
