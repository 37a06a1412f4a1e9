import { Command } from 'commander';
import { run, examples, remote, listing, output } from './verbs.js';

const actions = () => import('./actions/session.js');

/** Logging in and out, the current context, kubectl through the server, shell completion. */
export function loginCommand(): Command {
  return examples(
    new Command('login')
      .description('log in to a Corral server and save it in the config file')
      .argument('<server-url>', 'https://host[:port] of the server')
      .option('--token <token>', 'an API token (token-xxxxx:secret)')
      .option('--username <name>', 'log in with a username; the password is asked on the terminal')
      .option('--password-stdin', 'read the password from stdin (with --username)')
      .option(
        '--auth-provider <name>',
        'local, openldap, activedirectory (with --username), or genericoidc, keycloakoidc, github, shibboleth, okta (prints a URL to log in at in a browser)',
        'local',
      )
      .option('--cacert <file>', "the server's CA certificate (PEM)")
      .option('--ca-checksum <sha256>', "the expected SHA-256 of the server's /cacerts (trust on first use)")
      .option('--skip-verify', "do not verify the server's certificate (unsafe)")
      .option('-y, --yes', 'do not ask; accept the CA only if --ca-checksum matches')
      .option('--name <name>', 'a name for this server in the config (default: host:port)')
      .action(run(actions, 'login')),
    'corral login https://corral.example.com:8443 --username admin',
    'echo "$PASSWORD" | corral login https://10.0.0.5:8443 --username ci --password-stdin --cacert ca.pem',
    'corral login https://10.0.0.5:8443 --token token-abcde:s3cr3t --yes --ca-checksum 4f1c…',
    'corral login https://corral.example.com:8443 --auth-provider openldap --username alice',
    'corral login https://corral.example.com:8443 --auth-provider keycloakoidc',
  );
}

export function logoutCommand(): Command {
  return examples(
    new Command('logout')
      .description('end the session (for username logins) and forget the server')
      .argument('[server]', 'server name or URL (default: the current one)')
      .action(run(actions, 'logout')),
    'corral logout',
    'corral logout prod',
  );
}

export function contextCommand(): Command {
  const ctx = new Command('context').description('the current server, cluster and project');
  examples(
    listing(ctx.command('ls').description('list clusters and projects you can switch to')),
    'corral context ls',
  ).action(run(actions, 'contextLs'));
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
  ).action(run(actions, 'contextSwitch'));
  examples(
    output(ctx.command('current').description('show the current server, cluster and project')),
    'corral context current -o json',
  ).action(run(actions, 'contextCurrent'));
  return ctx;
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
      .action(run(actions, 'kubectl')),
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
