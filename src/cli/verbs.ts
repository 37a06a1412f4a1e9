import { Command, Option } from 'commander';
import { OUTPUT_FORMATS } from './output.js';

/**
 * Helpers for declaring verbs. A verb's work is in a module under `actions/`, imported only when
 * the verb runs, so `corral --help` loads commander and the declarations and little else.
 */

export type Handler = (args: unknown[], opts: Record<string, unknown>) => Promise<void>;

/** The handler `name` of the module `load` gives, called with `bound` before the command's arguments. */
export function run(load: () => Promise<unknown>, name: string, ...bound: unknown[]) {
  return async (...all: unknown[]) => {
    const cmd = all[all.length - 1] as Command;
    const actions = (await load()) as Record<string, Handler>;
    await actions[name]!([...bound, ...all.slice(0, -2)], cmd.opts());
  };
}

export function examples(cmd: Command, ...lines: string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  ${l}`).join('\n')}`);
}

/** --server on every verb that talks to a server. */
export function remote(cmd: Command): Command {
  return cmd.option('--server <name>', 'which logged-in server to use (default: the current one; env CORRAL_SERVER)');
}

export function listing(cmd: Command): Command {
  return remote(cmd)
    .addOption(new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('table'))
    .option('-q, --quiet', 'print only ids');
}

export function output(cmd: Command): Command {
  return remote(cmd).addOption(
    new Option('-o, --output <format>', 'output format').choices(OUTPUT_FORMATS).default('table'),
  );
}
