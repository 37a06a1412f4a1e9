import { Command } from 'commander';
import { examples, listing, output, remote, run } from './verbs.js';

const actions = () => import('./actions/secrets.js');

const scoped = (cmd: Command) =>
  cmd.option('--cluster <cluster>', 'cluster id or name').option('--project <project>', 'project id or name');
const repeat = (v: string, prev: string[] = []) => [...prev, v];

/** Project secrets: kept by Corral in every namespace of a project; values go in and never come back. */
export function secretsCommand(): Command {
  const s = new Command('secrets').description(
    'secrets, registry credentials and certificates of a project (copied into each of its namespaces)',
  );
  examples(
    listing(scoped(s.command('ls').description('list the secrets of the project (names, kinds, keys; never values)'))),
    'corral secrets ls',
    'corral secrets ls --project team-a -o yaml',
  ).action(run(actions, 'secretsLs'));
  examples(
    output(scoped(s.command('get').description('show one secret').argument('<secret>', 'name or id (ps-…)'))),
    'corral secrets get tls-web -o json',
  ).action(run(actions, 'secretsGet'));
  /** A create verb: the name, the kind's own options, a description. */
  const create = (verb: string, what: string, kind: string, options: (c: Command) => Command, example: string) =>
    examples(
      output(
        scoped(
          options(s.command(verb).description(what).argument('<name>', 'the Secret name in each namespace')).option(
            '--description <text>',
            'what it is for',
          ),
        ),
      ),
      example,
    ).action(run(actions, 'secretsCreate', kind));
  create(
    'create',
    'create a secret of key = value pairs',
    'secret',
    (c) =>
      c
        .option('--from-literal <key=value>', 'a key and its value (repeatable)', repeat)
        .option('--from-file <[key=]path>', "a key and a file's contents; the key defaults to the file name", repeat),
    'corral secrets create db --from-literal user=app --from-file password=./db-password',
  );
  create(
    'create-registry',
    'create a registry credential (kubernetes.io/dockerconfigjson) for image pulls',
    'dockerCredential',
    (c) =>
      c
        .requiredOption('--registry <host>', 'registry host, e.g. registry.example.com')
        .requiredOption('--username <user>', 'user name at the registry')
        .option('--password-stdin', 'read the password from stdin (the default asks on the terminal)'),
    'echo "$TOKEN" | corral secrets create-registry pull --registry ghcr.io --username bot --password-stdin',
  );
  create(
    'create-certificate',
    'create a certificate (kubernetes.io/tls) from PEM files; subject, SANs and expiry are shown',
    'certificate',
    (c) =>
      c
        .requiredOption('--cert <file>', 'certificate chain (PEM), leaf first')
        .requiredOption('--key <file>', 'private key (PEM) of the leaf'),
    'corral secrets create-certificate web-tls --cert tls.crt --key tls.key',
  );
  examples(
    output(
      scoped(
        s
          .command('update')
          .description("change a secret's description or values; values not given are kept, given ones replace them")
          .argument('<secret>', 'name or id')
          .option('--description <text>', 'what it is for')
          .option('--from-literal <key=value>', 'secret: new data, replacing all keys (repeatable)', repeat)
          .option('--from-file <[key=]path>', "secret: a key and a file's contents (repeatable)", repeat)
          .option('--registry <host>', 'registry credential: the registry host')
          .option('--username <user>', 'registry credential: the user name')
          .option('--password-stdin', 'registry credential: read the password from stdin')
          .option('--cert <file>', 'certificate: a new chain (PEM)')
          .option('--key <file>', 'certificate: a new private key (PEM)'),
      ),
    ),
    'corral secrets update db --from-literal password=rotated',
    'corral secrets update web-tls --cert new.crt --key new.key',
  ).action(run(actions, 'secretsUpdate'));
  examples(
    remote(
      scoped(
        s
          .command('rm')
          .description('delete a secret from the project and its namespaces')
          .argument('<secret>', 'name or id'),
      ),
    ),
    'corral secrets rm db',
  ).action(run(actions, 'secretsRm'));
  return s;
}
