import { Command } from 'commander';
import { user } from '../schema/types/user.js';
import { addCreateFlags, resourceVerbs } from './resource.js';
import { run, examples, remote, listing, output } from './verbs.js';

const actions = () => import('./actions/users.js');

/** Fields `users create` takes otherwise: the argument, the password prompt, --display-name. */
export const USER_CREATE_OMIT = ['username', 'password', 'name'];

export function usersCommand(): Command {
  const u = new Command('users').alias('user').description('local users');
  examples(listing(u.command('ls').description('list users')), 'corral users ls').action(run(actions, 'usersLs'));
  examples(
    addCreateFlags(
      output(
        u
          .command('create')
          .description('create a user; the password is asked on the terminal')
          .argument('<username>', 'login name')
          .option('--password-stdin', 'read the password from stdin')
          .option('--display-name <name>', 'display name'),
      ),
      user,
      USER_CREATE_OMIT,
    ),
    'corral users create alice',
    'echo "$PW" | corral users create ci-bot --password-stdin',
  ).action(run(actions, 'usersCreate'));
  examples(
    remote(u.command('disable').description('disable a user').argument('<user>', 'username or id')),
    'corral users disable alice',
  ).action(run(actions, 'usersDisable'));
  examples(
    remote(u.command('enable').description('enable a user').argument('<user>', 'username or id')),
    'corral users enable alice',
  ).action(run(actions, 'usersEnable'));
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
  ).action(run(actions, 'usersPasswd'));
  resourceVerbs(u, user, { ls: false, noun: 'user', path: 'users' });
  return u;
}
