import { Command } from 'commander';
import { token } from '../schema/types/token.js';
import { addCreateFlags, resourceVerbs } from './resource.js';
import { run, examples, remote, listing, output } from './verbs.js';

const actions = () => import('./actions/tokens.js');

/** `--ttl 30d` is a duration, not the schema's milliseconds; `--cluster` takes a name. */
export const TOKEN_CREATE_OMIT = ['ttl', 'clusterId'];

export function tokensCommand(): Command {
  const t = new Command('tokens').alias('token').description('your API tokens');
  examples(listing(t.command('ls').description('list your tokens')), 'corral tokens ls').action(
    run(actions, 'tokensLs'),
  );
  examples(
    addCreateFlags(
      output(
        t
          .command('create')
          .description('create an API token; its secret is printed once')
          .option('--ttl <duration>', 'lifetime, e.g. 90m, 12h, 30d (default: the server maximum)')
          .option('--cluster <cluster>', 'limit the token to one cluster'),
      ),
      token,
      TOKEN_CREATE_OMIT,
    ),
    'corral tokens create --ttl 30d --description ci',
  ).action(run(actions, 'tokensCreate'));
  examples(
    remote(t.command('rm').description('delete a token').argument('<id>', 'token id')),
    'corral tokens rm token-abcde',
  ).action(run(actions, 'tokensRm'));
  resourceVerbs(t, token, { ls: false, noun: 'token', path: 'tokens' });
  return t;
}
