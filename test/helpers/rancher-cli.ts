import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { binaryPath } from '../../src/kube/binaries.js';
import { packageRoot } from '../../src/util/package-root.js';
import { runProgram, type CliResult } from './cli.js';
import { testDir } from './control-plane.js';

const SHARED_CLI = ['shared', 'tools', 'rancher-cli', 'rancher'];

/**
 * The real Rancher CLI (v2.15.0, see its README), beside the repository, not copied into it. A git
 * worktree elsewhere finds it beside the main checkout (the folder of git's common directory).
 */
export const RANCHER_BIN = ((): string => {
  const beside = join(packageRoot(), '..', ...SHARED_CLI);
  if (existsSync(beside)) return beside;
  const common = execFileSync('git', ['rev-parse', '--path-format=absolute', '--git-common-dir'], {
    cwd: packageRoot(),
    encoding: 'utf8',
  }).trim();
  return join(dirname(common), '..', ...SHARED_CLI);
})();

export interface RancherCli {
  /** Its own config folder (RANCHER_CONFIG_DIR) and a CA file for --cacert. */
  dir: string;
  caFile: string;
  /** Its environment: the config folder, and PATH with kubectl. */
  env: NodeJS.ProcessEnv;
  /** Runs `rancher <args>`, optionally answering prompts on stdin; resolves with the exit code. */
  run(args: string[], input?: string): Promise<CliResult>;
}

/** A Rancher CLI with a fresh config folder, with the real kubectl on PATH for `rancher kubectl`. */
export async function rancherCli(caPem: string): Promise<RancherCli> {
  const dir = await testDir('rancher-cli');
  const caFile = join(dir, 'ca.pem');
  await writeFile(caFile, caPem);
  const kubectlDir = dirname(await binaryPath('kubectl'));
  const env = {
    ...process.env,
    RANCHER_CONFIG_DIR: dir,
    HOME: dir,
    PATH: `${kubectlDir}:${process.env.PATH}`,
    KUBECONFIG: '',
  };
  const run = (args: string[], input?: string) => runWith(RANCHER_BIN, args, env, input);
  return { dir, caFile, env, run };
}

/** Runs a program with its standard input given, collecting its output and exit code. */
export function runWith(bin: string, args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<CliResult> {
  return runProgram(bin, args, { env, input });
}
