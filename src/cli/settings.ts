import { Command } from 'commander';
import { setting } from '../schema/types/setting.js';
import { resourceVerbs } from './resource.js';
import { examples, output, run } from './verbs.js';

const actions = () => import('./actions/settings.js');

/** Server settings, by Rancher's names (`password-min-length`, `auth-token-max-ttl-minutes`, …). */
export function settingsCommand(): Command {
  const s = new Command('settings').alias('setting').description('server settings');
  resourceVerbs(s, setting, { noun: 'setting', path: 'settings' });
  examples(
    output(
      s
        .command('set')
        .description('change a setting')
        .argument('<name>', 'setting name')
        .argument('<value>', 'new value'),
    ),
    'corral settings set password-min-length 14',
  ).action(run(actions, 'settingsSet'));
  return s;
}
