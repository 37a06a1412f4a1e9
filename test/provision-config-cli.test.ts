import { execFile } from 'node:child_process';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { parse } from 'yaml';
import { readClusterConfig } from '../src/provision/config/load.js';
import { CORRAL_BIN, runProgram, type CliResult } from './helpers/cli.js';
import { testDir } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';

const execFileP = promisify(execFile);

let home: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  home = await testDir('config-cli');
  // Its own binaries folder: the supported versions are what this test says, whatever is built.
  const bin = join(home, 'bin');
  await mkdir(bin);
  await writeFile(join(bin, 'versions.json'), JSON.stringify({ kubernetes: ['v1.35.2', 'v1.36.5'] }));
  await mkdir(join(home, '.ssh'));
  await writeFile(join(home, '.ssh', 'id_rsa'), 'not a real key\n');
  await writeFile(join(home, 'cni.yaml'), 'apiVersion: v1\nkind: Namespace\nmetadata: {name: cni}\n');
  env = { HOME: home, CORRAL_K8S_BIN_DIR: bin };
});

/** The built `corral`, run in `cwd`, with `input` piped to stdin (stdin closed when absent). */
function corral(args: string[], opts: { cwd?: string; input?: string } = {}): Promise<CliResult> {
  return runProgram(process.execPath, [CORRAL_BIN, ...args], {
    env: { ...process.env, ...env },
    cwd: opts.cwd ?? home,
    input: opts.input,
  });
}

const lines = (...answers: string[]) => answers.map((a) => `${a}\n`).join('');

/** Answers for three hosts: one control plane + etcd, two workers, and a CNI manifest as addon. */
const THREE_NODES = lines(
  '', // cluster-level key: ~/.ssh/id_rsa
  '3',
  ...['10.77.0.11', '', '', 'root', 'y', 'n', 'y', 'cp-1', ''],
  ...['10.77.0.12', '', '', 'root', 'n', 'y', 'n', '', ''],
  ...['10.77.0.13', '2222', '', 'root', 'n', 'y', 'n', '', '192.168.77.13'],
  ...['', '', '', '', '', '', '', ''], // network … DNS service IP: defaults
  'y',
  'cni.yaml',
  'n',
);

describe('corral config', () => {
  test('the wizard, answered through a pipe, writes a three-node cluster.yml that loads', async () => {
    const dir = join(home, 'three');
    await mkdir(dir);
    await writeFile(join(dir, 'cni.yaml'), 'kind: List\n');
    const r = await corral(['config'], { cwd: dir, input: THREE_NODES });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('[+] Cluster Level SSH Private Key Path [~/.ssh/id_rsa]: ');
    expect(r.stderr).toContain('[+] Is host (10.77.0.13) a Control Plane host (y/n)? [y]: n');
    expect(r.stderr).toContain('[+] Kubernetes version [v1.36.5]: ');
    expect(r.stderr).toContain('Wrote cluster.yml. Check it, then run `corral up`.');
    const file = join(dir, 'cluster.yml');
    expect((await stat(file)).mode & 0o777).toBe(0o640);
    const { config, warnings } = await readClusterConfig(file, { home });
    expect(warnings).toEqual([]);
    expect(
      config.nodes.map((n) => [n.address, n.port, n.user, n.role, n.hostname_override, n.internal_address]),
    ).toEqual([
      ['10.77.0.11', 22, 'root', ['controlplane', 'etcd'], 'cp-1', '10.77.0.11'],
      ['10.77.0.12', 22, 'root', ['worker'], '10.77.0.12', '10.77.0.12'],
      ['10.77.0.13', 2222, 'root', ['worker'], '10.77.0.13', '192.168.77.13'],
    ]);
    expect(config.nodes[0]!.ssh_key_path).toBe(join(home, '.ssh', 'id_rsa'));
    expect(config.kubernetes_version).toBe('v1.36.5');
    expect(config.addons_include).toEqual([join(dir, 'cni.yaml')]);
  });

  test('a wrong piped answer is refused with the reason; the file is still right', async () => {
    const dir = join(home, 'refused');
    await mkdir(dir);
    const r = await corral(['config', '--name', 'prod.yml'], {
      cwd: dir,
      input: lines('', '1', '10.77.0.21', '99999', '22', '', '', 'y', 'y', 'y', '', '', 'calico'),
    });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('[-] give a port from 1 to 65535, not "99999"');
    expect(r.stderr).toContain(
      '[-] Corral deploys flannel: answer flannel, or none and install calico through addons_include',
    );
    expect(r.stderr).toContain('Wrote prod.yml. Check it, then run `corral up --config prod.yml`.');
    const { config } = await readClusterConfig(join(dir, 'prod.yml'), { home });
    expect(config.nodes[0]).toMatchObject({ address: '10.77.0.21', port: 22, user: 'ubuntu' });
    // calico was refused, and the empty answers after it took the default.
    expect(config.network.plugin).toBe('flannel');
  });

  test('--print prints the file instead of writing it', async () => {
    const dir = join(home, 'print');
    await mkdir(dir);
    const r = await corral(['config', '--print'], {
      cwd: dir,
      input: lines('', '1', '10.77.0.31', '', '', '', 'y', 'y', 'y'),
    });
    expect(r.code, r.stderr).toBe(0);
    await expect(stat(join(dir, 'cluster.yml'))).rejects.toThrow(/ENOENT/);
    const data = parse(r.stdout);
    expect(data.nodes).toEqual([
      expect.objectContaining({ address: '10.77.0.31', role: ['controlplane', 'worker', 'etcd'] }),
    ]);
    expect(r.stdout).toMatch(/^# /);
  });

  test('--empty writes a template with every key; an existing file needs a yes or --force', async () => {
    const dir = join(home, 'empty');
    await mkdir(dir);
    const r = await corral(['config', '--empty'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const text = await readFile(join(dir, 'cluster.yml'), 'utf8');
    expect(text).toMatch(/^# Template from `corral config --empty`/);
    expect(Object.keys(parse(text))).toContain('upgrade_strategy');
    const { config } = await readClusterConfig(join(dir, 'cluster.yml'), { home });
    expect(config.kubernetes_version).toBe('v1.36.5');
    expect(config.services.kubelet.cluster_dns_server).toBe('10.43.0.10');

    await writeFile(join(dir, 'cluster.yml'), 'mine\n');
    const closed = await corral(['config', '--empty'], { cwd: dir });
    expect(closed.code).toBe(2);
    expect(closed.stderr).toContain('cluster.yml exists: pass --force to overwrite it');
    const no = await corral(['config', '--empty'], { cwd: dir, input: 'n\n' });
    expect(no.code).toBe(1);
    expect(no.stderr).toContain('cancelled: cluster.yml was not changed');
    expect(await readFile(join(dir, 'cluster.yml'), 'utf8')).toBe('mine\n');
    const yes = await corral(['config', '--empty'], { cwd: dir, input: 'y\n' });
    expect(yes.code, yes.stderr).toBe(0);
    expect(await readFile(join(dir, 'cluster.yml'), 'utf8')).toBe(text);
    await writeFile(join(dir, 'cluster.yml'), 'mine\n');
    expect((await corral(['config', '--empty', '--force'], { cwd: dir })).code).toBe(0);
    expect(await readFile(join(dir, 'cluster.yml'), 'utf8')).toBe(text);
  });

  test('--list-version prints the default version; --all every supported one; -o json|yaml', async () => {
    expect(await corral(['config', '--list-version'])).toMatchObject({ code: 0, stdout: 'v1.36.5\n' });
    expect(await corral(['config', '--list-version', '--all'])).toMatchObject({
      code: 0,
      stdout: 'v1.36.5\nv1.35.2\n',
    });
    expect(JSON.parse((await corral(['config', '--list-version', '--all', '-o', 'json'])).stdout)).toEqual([
      'v1.36.5',
      'v1.35.2',
    ]);
    expect(JSON.parse((await corral(['config', '--list-version', '-o', 'json'])).stdout)).toBe('v1.36.5');
    expect(parse((await corral(['config', '--list-version', '--all', '-o', 'yaml'])).stdout)).toEqual([
      'v1.36.5',
      'v1.35.2',
    ]);
    const misuse = await corral(['config', '--all']);
    expect(misuse.code).toBe(2);
    expect(misuse.stderr).toContain('--all and --output go with --list-version');
  });

  test('--help describes the questions and the options', async () => {
    const r = await corral(['config', '--help']);
    expect(r.code).toBe(0);
    for (const text of [
      '--name <file>',
      '--empty',
      '--print',
      '--force',
      '--list-version',
      '--all',
      '--output <format>',
    ]) {
      expect(r.stdout).toContain(text);
    }
    expect(r.stdout).toContain("Asks RKE's questions in RKE's order");
    expect(r.stdout).toContain('corral config --list-version --all -o json');
  });

  test('on a terminal (tmux): the prompts, typed answers and a refused answer', async () => {
    const dir = join(home, 'tty');
    await mkdir(dir);
    const sock = `corral-config-${process.pid}-${Date.now()}`;
    const tmux = (...args: string[]) => execFileP('tmux', ['-L', sock, ...args]);
    onTestFinished(async () => {
      await tmux('kill-server').catch(() => undefined);
    });
    const envs = Object.entries(env)
      .map(([k, v]) => `${k}='${v}'`)
      .join(' ');
    await tmux(
      'new-session',
      '-d',
      '-s',
      'cfg',
      '-x',
      '200',
      '-y',
      '50',
      '-c',
      dir,
      `env ${envs} ${process.execPath} ${CORRAL_BIN} config; echo "EXIT=$?"; sleep 60`,
    );
    const pane = async () => (await tmux('capture-pane', '-p', '-t', 'cfg')).stdout;
    const waitFor = (text: string) =>
      eventually(
        async () => {
          const p = await pane();
          // capture-pane drops the trailing blank of a prompt
          if (!p.includes(text.trimEnd())) throw new Error(p);
          return p;
        },
        `the terminal to show ${text}`,
        20_000,
      );
    const type = async (answer: string) => {
      if (answer) await tmux('send-keys', '-t', 'cfg', '-l', answer);
      await tmux('send-keys', '-t', 'cfg', 'Enter');
    };
    await waitFor('[+] Cluster Level SSH Private Key Path [~/.ssh/id_rsa]: ');
    await type('');
    await waitFor('[+] Number of Hosts [1]: ');
    await type('two');
    await waitFor('[-] give a whole number of at least 1, not "two"');
    await type('1');
    await waitFor('[+] SSH Address of host (1) [none]: ');
    await type('10.77.0.41');
    for (const answer of ['', '', 'admin', '', 'y', 'y', '', '']) await type(answer);
    await waitFor('[+] Network Plugin Type (flannel, none) [flannel]: ');
    for (let i = 0; i < 9; i++) await type('');
    const done = await waitFor('EXIT=');
    expect(done).toContain('EXIT=0');
    const { config } = await readClusterConfig(join(dir, 'cluster.yml'), { home });
    expect(config.nodes[0]).toMatchObject({
      address: '10.77.0.41',
      user: 'admin',
      role: ['controlplane', 'worker', 'etcd'],
    });
  });
});
