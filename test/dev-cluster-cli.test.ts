import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, test } from 'vitest';
import { binaryPath } from '../src/kube/binaries.js';
import { commandLine, isAlive } from '../src/localcluster/processes.js';
import { corral } from './helpers/cli.js';
import { testDir } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';

const execFileP = promisify(execFile);

/** Processes whose command line mentions `text`: what a cluster folder leaves running. */
async function processesMentioning(text: string): Promise<number[]> {
  const { readdir } = await import('node:fs/promises');
  const found: number[] = [];
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid)) continue;
    const cmd = await commandLine(pid);
    if (cmd?.some((a) => a.includes(text))) found.push(pid);
  }
  return found;
}

describe('corral dev cluster', () => {
  let home: string;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    home = await testDir('home');
    env = { CORRAL_HOME: home };
  });

  test('--help lists the verbs, every verb has help, and a wrong flag is a usage error', async () => {
    const top = await corral(['--help']);
    expect(top.code).toBe(0);
    expect(top.stdout).toMatch(/dev\s+local development helpers/);
    for (const verb of [
      ['dev'],
      ['dev', 'cluster'],
      ['dev', 'cluster', 'up'],
      ['dev', 'cluster', 'down'],
      ['dev', 'cluster', 'ls'],
    ]) {
      const r = await corral([...verb, '--help']);
      expect(r.code, verb.join(' ')).toBe(0);
      expect(r.stdout).toContain(`Usage: corral ${verb.join(' ')}`);
    }
    expect((await corral(['dev', 'cluster', 'up', '--help'])).stdout).toContain('Examples:');
    const bad = await corral(['dev', 'cluster', 'up', '--no-such-flag']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("unknown option '--no-such-flag'");
    const badNodes = await corral(['dev', 'cluster', 'up', '--nodes', 'many'], env);
    expect(badNodes.code).toBe(2);
    expect(badNodes.stderr).toContain('--nodes must be a whole number');
    const badName = await corral(['dev', 'cluster', 'up', '--name', 'Bad_Name'], env);
    expect(badName.code).toBe(1);
    expect(badName.stderr).toContain('invalid cluster name "Bad_Name"');
  });

  test('up, ls, refuse a second up, down --keep-data, refuse data from another version, down', async () => {
    const up = await corral(['dev', 'cluster', 'up', '--name', 'alpha', '--nodes', '1'], env);
    expect(up.code, up.stderr).toBe(0);
    expect(up.stderr).toMatch(/starting kube-apiserver/); // progress is shown
    const kubeconfig = /kubeconfig: (\S+)/.exec(up.stdout)?.[1];
    expect(kubeconfig).toBe(join(home, 'dev-clusters', 'alpha', 'kubeconfig'));
    const kubectl = await binaryPath('kubectl');
    await eventually(async () => {
      const { stdout } = await execFileP(kubectl, [`--kubeconfig=${kubeconfig}`, 'get', 'nodes', '--no-headers']);
      if (!/alpha-node-0\s+Ready/.test(stdout)) throw new Error(stdout);
    }, 'the kwok node to be Ready');

    const ls = await corral(['dev', 'cluster', 'ls', '-o', 'json'], env);
    expect(ls.code).toBe(0);
    const listed = JSON.parse(ls.stdout) as { name: string; status: string; components: { pid: number }[] }[];
    expect(listed.map((c) => [c.name, c.status])).toEqual([['alpha', 'running']]);
    const pids = listed[0]!.components.map((c) => c.pid);
    expect(pids.length).toBe(5);
    const table = await corral(['dev', 'cluster', 'ls'], env);
    expect(table.stdout).toMatch(/^NAME\s+STATUS\s+KUBERNETES/);
    expect(table.stdout).toMatch(/alpha\s+running\s+v1\.\d+\.\d+/);

    // A second up with the same name is refused and harms nothing.
    const again = await corral(['dev', 'cluster', 'up', '--name', 'alpha'], env);
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('dev cluster "alpha" is already running');
    expect(pids.every(isAlive)).toBe(true);
    await execFileP(kubectl, [`--kubeconfig=${kubeconfig}`, 'get', 'ns', 'default']);

    // Stop but keep the data; then pretend it was made by another Kubernetes version.
    const stop = await corral(['dev', 'cluster', 'down', '--name', 'alpha', '--keep-data'], env);
    expect(stop.code, stop.stderr).toBe(0);
    expect(pids.filter(isAlive)).toEqual([]);
    const stateFile = join(home, 'dev-clusters', 'alpha', 'corral-dev-cluster.json');
    const state = JSON.parse(await readFile(stateFile, 'utf8')) as { kubernetesVersion: string };
    expect((await corral(['dev', 'cluster', 'ls'], env)).stdout).toMatch(/alpha\s+stopped/);
    await writeFile(stateFile, JSON.stringify({ ...state, kubernetesVersion: 'v1.20.0' }));
    const old = await corral(['dev', 'cluster', 'up', '--name', 'alpha'], env);
    expect(old.code).toBe(1);
    expect(old.stderr).toContain('was made by another version');
    expect(old.stderr).toContain('corral dev cluster down --name alpha');
    expect(await processesMentioning(join(home, 'dev-clusters', 'alpha'))).toEqual([]);
    expect(existsSync(stateFile)).toBe(true); // refused, and the data is still there

    const down = await corral(['dev', 'cluster', 'down', '--name', 'alpha'], env);
    expect(down.code).toBe(0);
    expect(existsSync(join(home, 'dev-clusters', 'alpha'))).toBe(false);
    expect(JSON.parse((await corral(['dev', 'cluster', 'ls', '-o', 'json'], env)).stdout)).toEqual([]);
    const gone = await corral(['dev', 'cluster', 'down', '--name', 'alpha'], env);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain('no dev cluster named "alpha"');
  });

  test('a port already taken is refused before anything starts', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    try {
      const r = await corral(['dev', 'cluster', 'up', '--name', 'beta', '--port', String(port)], env);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`);
      expect(await processesMentioning(join(home, 'dev-clusters', 'beta'))).toEqual([]);
      expect(existsSync(join(home, 'dev-clusters', 'beta'))).toBe(false);
    } finally {
      blocker.close();
    }
  });

  test('a missing binary names it and says how to build it, and nothing is left running', async () => {
    const emptyBin = await testDir('bin');
    await mkdir(emptyBin, { recursive: true });
    const r = await corral(['dev', 'cluster', 'up', '--name', 'gamma'], { ...env, CORRAL_K8S_BIN_DIR: emptyBin });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not found in .*: build the Kubernetes binaries with `npm run k8s:build`/);
    expect(await processesMentioning(join(home, 'dev-clusters', 'gamma'))).toEqual([]);
  });

  test('a component that fails to start has its log printed and takes the rest down with it', async () => {
    // A kube-apiserver that exits at once: the start fails, and the error carries its log.
    const bin = await testDir('badbin');
    const real = (await binaryPath('kubectl')).replace(/kubectl$/, '');
    const { symlink } = await import('node:fs/promises');
    for (const name of [
      'etcd',
      'kube-controller-manager',
      'kube-scheduler',
      'kubectl',
      'kwok',
      'versions.json',
      'kwok-stages.yaml',
    ]) {
      await symlink(join(real, name), join(bin, name));
    }
    await writeFile(
      join(bin, 'kube-apiserver'),
      '#!/bin/sh\necho "flag provided but not defined: --broken" >&2\nexit 3\n',
      { mode: 0o755 },
    );
    const r = await corral(['dev', 'cluster', 'up', '--name', 'delta'], { ...env, CORRAL_K8S_BIN_DIR: bin });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('kube-apiserver exited (code 3)');
    expect(r.stderr).toContain('flag provided but not defined: --broken');
    expect(await processesMentioning(join(home, 'dev-clusters', 'delta'))).toEqual([]);
  });
});
