import { Command, Option } from 'commander';
import { OUTPUT_FORMATS } from './output.js';

/**
 * The management verbs (login, logout, context, clusters, projects, namespaces, users, tokens,
 * kubectl, completion). Only their command lines are declared here; the work is in
 * manage-actions.ts, imported when a verb runs, so `corral --help` stays fast.
 */

type Handler = (args: unknown[], opts: Record<string, unknown>) => Promise<void>;

function run(name: string) {
  return async (...all: unknown[]) => {
    const cmd = all[all.length - 1] as Command;
    const opts = cmd.opts();
    const actions = (await import('./manage-actions.js')) as unknown as Record<string, Handler>;
    await actions[name]!(all.slice(0, -2), opts);
  };
}

function examples(cmd: Command, ...lines: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}`);
}

/** --server on every verb that talks to a server. */
function remote(cmd: Command): Command {
  return cmd.option('--server <name>', 'which logged-in server to use (default: the current one; env CORRAL_SERVER)');
}

function listing(cmd: Command): Command {
  return remote(cmd)
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .option('-q, --quiet', 'print only ids');
}

function output(cmd: Command): Command {
  return remote(cmd).addOption(
    new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('table'),
  );
}

export function loginCommand(): Command {
  return examples(
    new Command('login')
      .description('log in to a Corral server and save it in the config file')
      .argument('<server-url>', 'https://host[:port] of the server')
      .option('--token <token>', 'an API token (token-xxxxx:secret)')
      .option('--username <name>', 'log in with a username; the password is asked on the terminal')
      .option('--password-stdin', 'read the password from stdin (with --username)')
      .option('--cacert <file>', "the server's CA certificate (PEM)")
      .option('--ca-checksum <sha256>', "the expected SHA-256 of the server's /cacerts (trust on first use)")
      .option('--skip-verify', "do not verify the server's certificate (unsafe)")
      .option('-y, --yes', 'do not ask; accept the CA only if --ca-checksum matches')
      .option('--name <name>', 'a name for this server in the config (default: host:port)')
      .action(run('login')),
    'corral login https://corral.example.com:8443 --username admin',
    'echo "$PASSWORD" | corral login https://10.0.0.5:8443 --username ci --password-stdin --cacert ca.pem',
    'corral login https://10.0.0.5:8443 --token token-abcde:s3cr3t --yes --ca-checksum 4f1c…',
  );
}

export function logoutCommand(): Command {
  return examples(
    new Command('logout')
      .description('end the session (for username logins) and forget the server')
      .argument('[server]', 'server name or URL (default: the current one)')
      .action(run('logout')),
    'corral logout',
    'corral logout prod',
  );
}

export function contextCommand(): Command {
  const ctx = new Command('context').description('the current server, cluster and project');
  examples(
    listing(ctx.command('ls').description('list clusters and projects you can switch to')),
    'corral context ls',
  ).action(run('contextLs'));
  examples(
    remote(
      ctx
        .command('switch')
        .description('set the current cluster (and project); without an argument, choose from a list')
        .argument('[cluster[/project]]', 'cluster id or name, optionally /project id or name'),
    ),
    'corral context switch',
    'corral context switch prod',
    'corral context switch prod/team-a',
    'corral context switch c-abcde/p-fghij',
  ).action(run('contextSwitch'));
  examples(
    output(ctx.command('current').description('show the current server, cluster and project')),
    'corral context current -o json',
  ).action(run('contextCurrent'));
  return ctx;
}

export function clustersCommand(): Command {
  const c = new Command('clusters').alias('cluster').description('clusters managed by the server');
  examples(listing(c.command('ls').description('list clusters')), 'corral clusters ls', 'corral clusters ls -q').action(
    run('clustersLs'),
  );
  examples(
    output(c.command('get').description('show one cluster').argument('<cluster>', 'id or name')),
    'corral clusters get prod -o yaml',
  ).action(run('clustersGet'));
  examples(
    output(
      c
        .command('create')
        .description('register a cluster; with --kubeconfig the server reaches it directly, else import it')
        .argument('<name>', 'cluster name')
        .option('--kubeconfig <file>', 'admin kubeconfig of a cluster the server can reach')
        .option('--description <text>', 'description'),
    ),
    'corral clusters create lab --kubeconfig ~/.kube/lab.yaml',
  ).action(run('clustersCreate'));
  examples(
    output(
      c
        .command('import')
        .description('create a cluster to import and print the kubectl command that installs its agent')
        .argument('<name>', 'cluster name')
        .option('--description <text>', 'description')
        .option('--wait', 'show progress until the cluster is active')
        .option('--timeout <seconds>', 'with --wait, give up after this long', '600'),
    ),
    'corral clusters import edge-1 --wait',
    'corral clusters import edge-1 -o json | jq -r .insecureCommand',
  ).action(run('clustersImport'));
  examples(
    remote(
      c
        .command('rm')
        .description('delete a cluster (removes the agent and its RBAC from it)')
        .argument('<cluster>', 'id or name')
        .option('--force', 'delete even when the cluster cannot be reached'),
    ),
    'corral clusters rm c-abcde',
  ).action(run('clustersRm'));
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
  ).action(run('clustersKubeconfig'));
  return c;
}

export function projectsCommand(): Command {
  const p = new Command('projects').alias('project').description('projects of the current cluster');
  examples(
    listing(p.command('ls').description('list projects').option('--cluster <cluster>', 'cluster id or name')),
    'corral projects ls',
  ).action(run('projectsLs'));
  examples(
    output(
      p
        .command('create')
        .description('create a project')
        .argument('<name>', 'project name')
        .option('--cluster <cluster>', 'cluster id or name')
        .option('--description <text>', 'description'),
    ),
    'corral projects create team-a',
  ).action(run('projectsCreate'));
  examples(
    remote(
      p
        .command('rm')
        .description('delete a project')
        .argument('<project>', 'id or name')
        .option('--cluster <cluster>', 'cluster id or name'),
    ),
    'corral projects rm team-a',
  ).action(run('projectsRm'));
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
  ).action(run('quotaSet'));
  const m = p.command('members').description('members of the current project');
  examples(
    listing(m.command('ls').description('list members').option('--project <project>', 'project id or name')),
    'corral projects members ls',
  ).action(run('membersLs'));
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
  ).action(run('membersAdd'));
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
  ).action(run('membersRm'));
  return p;
}

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
  ).action(run('namespacesLs'));
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
  ).action(run('namespacesCreate'));
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
  ).action(run('namespacesMove'));
  examples(
    remote(
      n
        .command('rm')
        .description('delete a namespace')
        .argument('<name>', 'namespace name')
        .option('--cluster <cluster>', 'cluster id or name'),
    ),
    'corral namespaces rm web',
  ).action(run('namespacesRm'));
  return n;
}

export function usersCommand(): Command {
  const u = new Command('users').alias('user').description('local users');
  examples(listing(u.command('ls').description('list users')), 'corral users ls').action(run('usersLs'));
  examples(
    output(
      u
        .command('create')
        .description('create a user; the password is asked on the terminal')
        .argument('<username>', 'login name')
        .option('--password-stdin', 'read the password from stdin')
        .option('--display-name <name>', 'display name')
        .option('--must-change-password', 'make the user choose a new password at first login'),
    ),
    'corral users create alice',
    'echo "$PW" | corral users create ci-bot --password-stdin',
  ).action(run('usersCreate'));
  examples(
    remote(u.command('disable').description('disable a user').argument('<user>', 'username or id')),
    'corral users disable alice',
  ).action(run('usersDisable'));
  examples(
    remote(u.command('enable').description('enable a user').argument('<user>', 'username or id')),
    'corral users enable alice',
  ).action(run('usersEnable'));
  examples(
    remote(
      u
        .command('passwd')
        .description("change your password, or set another user's (admins)")
        .argument('[user]', 'username or id (default: yourself)')
        .option('--password-stdin', 'read from stdin: the new password, or for yourself "current\\nnew"'),
    ),
    'corral users passwd',
    'echo "$NEW" | corral users passwd alice --password-stdin',
  ).action(run('usersPasswd'));
  return u;
}

export function tokensCommand(): Command {
  const t = new Command('tokens').alias('token').description('your API tokens');
  examples(listing(t.command('ls').description('list your tokens')), 'corral tokens ls').action(run('tokensLs'));
  examples(
    output(
      t
        .command('create')
        .description('create an API token; its secret is printed once')
        .option('--ttl <duration>', 'lifetime, e.g. 90m, 12h, 30d (default: the server maximum)')
        .option('--description <text>', 'description')
        .option('--cluster <cluster>', 'limit the token to one cluster'),
    ),
    'corral tokens create --ttl 30d --description ci',
  ).action(run('tokensCreate'));
  examples(
    remote(t.command('rm').description('delete a token').argument('<id>', 'token id')),
    'corral tokens rm token-abcde',
  ).action(run('tokensRm'));
  return t;
}

export function kubectlCommand(): Command {
  return examples(
    new Command('kubectl')
      .description('run kubectl against the current cluster through the server (no kubeconfig left on disk)')
      .argument('[args...]', 'kubectl arguments')
      .option('--server <name>', 'which logged-in server to use')
      .option('--cluster <cluster>', 'cluster id or name (default: the current cluster)')
      .allowUnknownOption()
      .passThroughOptions()
      .action(run('kubectl')),
    'corral kubectl get pods -n web',
    'corral kubectl --cluster prod -- get ns',
  );
}

export function completionCommand(root: () => Command): Command {
  return examples(
    new Command('completion')
      .description('print a shell completion script')
      .argument('<shell>', 'bash or zsh')
      .action(async (shell: string) => {
        const { completionScript } = await import('./completion.js');
        process.stdout.write(completionScript(root(), shell));
      }),
    'source <(corral completion bash)',
    'corral completion zsh > "${fpath[1]}/_corral"',
  );
}
