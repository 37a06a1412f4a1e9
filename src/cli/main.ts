#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';
import { agentCommand } from './agent.js';
import { devCommand } from './dev.js';
import { serverCommand } from './server.js';

const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };

/** Exit codes: 0 ok, 1 the operation failed, 2 the command line was wrong. */
const EXIT_ERROR = 1;
const EXIT_USAGE = 2;

export function buildProgram(): Command {
  const program = new Command('corral')
    .description('Corral: one server, one login and one kubectl endpoint for all your Kubernetes clusters')
    .version(version, '-v, --version')
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ sortSubcommands: true });
  program.addCommand(devCommand());
  program.addCommand(serverCommand(version));
  program.addCommand(agentCommand(version));
  return program;
}

function exitOverrideEverywhere(command: Command): void {
  command.exitOverride();
  for (const sub of command.commands) exitOverrideEverywhere(sub);
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  exitOverrideEverywhere(program);
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and version "errors" are how commander ends after printing them.
      if (err.exitCode === 0) return 0;
      return EXIT_USAGE;
    }
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_ERROR;
  }
}

process.exitCode = await main(process.argv);
