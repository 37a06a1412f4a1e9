import { Command } from 'commander';
import { catalog } from '../schema/types/catalog.js';
import { addCreateFlags, resourceVerbs } from './resource.js';
import { examples, listing, output, remote, run } from './verbs.js';

const actions = () => import('./actions/catalog.js');

/** The name and URL are arguments; every other creatable field is a flag derived from the schema. */
export const CATALOG_CREATE_OMIT = ['name', 'url'];

export function catalogCommand(): Command {
  const c = new Command('catalog')
    .alias('catalogs')
    .description('chart catalogs (Helm repositories and git repositories of charts)');
  resourceVerbs(c, catalog, { noun: 'catalog', path: 'catalog', get: true, create: false, rm: true });
  examples(
    addCreateFlags(
      output(
        c
          .command('add')
          .description('add a global catalog; it syncs at once and every --refresh-interval seconds')
          .argument('<name>', 'catalog name (templates are <name>-<chart>)')
          .argument('<url>', 'a Helm repository URL (serving index.yaml) or a git URL (with --kind git)'),
      ),
      catalog,
      CATALOG_CREATE_OMIT,
    ).option('--no-wait', 'do not wait for the first sync'),
    'corral catalog add lib https://charts.example.com',
    'corral catalog add mine https://git.example.com/charts.git --kind git --branch main --username me --password …',
  ).action(run(actions, 'catalogAdd'));
  examples(
    output(
      c
        .command('refresh')
        .description('fetch a catalog (or every catalog) again now and wait for the sync')
        .argument('[name]', 'catalog name (default: all)')
        .option('--no-wait', 'do not wait for the sync'),
    ),
    'corral catalog refresh lib',
  ).action(run(actions, 'catalogRefresh'));
  examples(
    listing(
      c
        .command('charts')
        .description('list the charts (templates) of the catalogs')
        .option('--catalog <name>', 'only this catalog')
        .option('--search <text>', 'only charts whose name or description contains this'),
    ),
    'corral catalog charts --search nginx',
  ).action(run(actions, 'catalogCharts'));
  return c;
}

const appFlags = (cmd: Command) =>
  cmd
    .option('--set <key=value>', 'an answer (repeatable), e.g. --set replicaCount=2', (v: string, p: string[] = []) => [
      ...p,
      v,
    ])
    .option('--values <file>', 'a values YAML file')
    .option('--answers <file>', 'a YAML or JSON file of answers (key: value)')
    .option('--no-wait', 'return at once instead of following helm until it is done');

export function appsCommand(): Command {
  const a = new Command('apps').alias('app').description('apps (Helm releases from catalogs) of the current project');
  examples(
    listing(a.command('ls').description('list apps').option('--project <project>', 'project id or name')),
    'corral apps ls',
    'corral apps ls -o yaml',
  ).action(run(actions, 'appsLs'));
  examples(
    appFlags(
      output(
        a
          .command('install')
          .description('install a chart from a catalog into a namespace of the project')
          .argument('<template>', 'template id (<catalog>-<chart>, see corral catalog charts)')
          .argument('<name>', 'app (release) name')
          .option('--version <version>', 'chart version (default: the newest)')
          .option('--namespace <namespace>', 'target namespace in the project (default: the app name)')
          .option('--project <project>', 'project id or name'),
      ),
    ),
    'corral apps install lib-nginx web --namespace web --set replicaCount=2',
  ).action(run(actions, 'appsInstall'));
  examples(
    appFlags(
      output(
        a
          .command('upgrade')
          .description('upgrade an app to another version, or with other answers')
          .argument('<app>', 'app name or id')
          .option('--version <version>', 'chart version (default: the newest)')
          .option('--project <project>', 'project id or name'),
      ),
    ),
    'corral apps upgrade web --version 1.2.0',
  ).action(run(actions, 'appsUpgrade'));
  examples(
    output(
      a
        .command('rollback')
        .description('roll an app back to an earlier revision')
        .argument('<app>', 'app name or id')
        .argument('<revision>', 'revision number (see corral apps revisions)')
        .option('--project <project>', 'project id or name')
        .option('--no-wait', 'return at once'),
    ),
    'corral apps rollback web 1',
  ).action(run(actions, 'appsRollback'));
  examples(
    listing(
      a
        .command('revisions')
        .description("list an app's revisions")
        .argument('<app>', 'app name or id')
        .option('--project <project>', 'project id or name'),
    ),
    'corral apps revisions web',
  ).action(run(actions, 'appsRevisions'));
  examples(
    remote(
      a
        .command('rm')
        .description('uninstall an app (its namespace stays)')
        .argument('<app>', 'app name or id')
        .option('--project <project>', 'project id or name'),
    ),
    'corral apps rm web',
  ).action(run(actions, 'appsRm'));
  return a;
}
