#!/usr/bin/env node
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../util/package-root.js';
import { agentCommand } from './agent.js';
import { devCommand } from './dev.js';
import { clustersCommand } from './clusters.js';
import { namespacesCommand } from './namespaces.js';
import { workloadsCommand } from './workloads.js';
import { logsCommand } from './logs.js';
import { secretsCommand } from './secrets.js';
import { projectsCommand } from './projects.js';
import { alertsCommand, monitoringCommand, notifiersCommand } from './alerts.js';
import { appsCommand, catalogCommand } from './catalog.js';
import { rolesCommand } from './roles.js';
import { settingsCommand } from './settings.js';
import { completionCommand, contextCommand, kubectlCommand, loginCommand, logoutCommand } from './session.js';
import { tokensCommand } from './tokens.js';
import { usersCommand } from './users.js';
import { serverCommand } from './server.js';
import { certCommand, clusterVersionCommand, etcdCommand, removeCommand, upCommand } from './provision/commands.js';
import { configCommand } from './provision/config-command.js';

const { version } = JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string };

/** Exit codes: 0 ok, 1 the operation failed, 2 the command line was wrong. */
const EXIT_ERROR = 1;
const EXIT_USAGE = 2;

export function buildProgram(): Command {
  const program = new Command('corral')
    .description('Corral: one server, one login and one kubectl endpoint for all your Kubernetes clusters')
    .version(version, '-v, --version')
    .showHelpAfterError('(add --help for usage)')
    .configureHelp({ sortSubcommands: true })
    // Options of a command come after it and before its subcommand, so `corral kubectl` can pass
    // every option after its first argument through to kubectl.
    .enablePositionalOptions();
  program.addCommand(devCommand());
  program.addCommand(serverCommand(version));
  program.addCommand(agentCommand(version));
  program.addCommand(loginCommand());
  program.addCommand(logoutCommand());
  program.addCommand(contextCommand());
  program.addCommand(clustersCommand());
  program.addCommand(projectsCommand());
  program.addCommand(catalogCommand());
  program.addCommand(appsCommand());
  program.addCommand(notifiersCommand());
  program.addCommand(alertsCommand());
  program.addCommand(monitoringCommand());
  program.addCommand(namespacesCommand());
  program.addCommand(workloadsCommand());
  program.addCommand(logsCommand());
  program.addCommand(secretsCommand());
  program.addCommand(usersCommand());
  program.addCommand(tokensCommand());
  program.addCommand(rolesCommand());
  program.addCommand(settingsCommand());
  program.addCommand(kubectlCommand());
  // The provisioner's verbs, named as RKE's.
  program.addCommand(configCommand());
  program.addCommand(upCommand());
  program.addCommand(removeCommand());
  program.addCommand(etcdCommand());
  program.addCommand(certCommand());
  program.addCommand(clusterVersionCommand());
  program.addCommand(completionCommand(() => program));
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
    if (err instanceof Error && err.name === 'UsageError') {
      process.stderr.write(`error: ${err.message}\n(add --help for usage)\n`);
      return EXIT_USAGE;
    }
    if (err instanceof Error && err.name === 'V3Error') {
      const { describeError } = await import('./client.js');
      process.stderr.write(`error: ${describeError(err)}\n`);
      return EXIT_ERROR;
    }
    process.stderr.write(`error: ${err instanceof Error ? err.message : String(err)}\n`);
    return EXIT_ERROR;
  }
}

process.exitCode = await main(process.argv);
