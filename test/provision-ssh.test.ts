import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { preflight, type PreflightChecks } from '../src/provision/preflight.js';
import { connectAll, SshConnection, SshError, type SshConnectOptions } from '../src/provision/ssh/index.js';
import { testDir } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';
import { knownHostsFor, nodesScript, startNodes, type NodeSet } from './helpers/nodes.js';
import { ensureUser } from './helpers/users.js';

const execFileP = promisify(execFile);

describe('provisioner SSH layer against real sshd test nodes', () => {
  let set: NodeSet;
  let dir: string;
  /** A known_hosts that already trusts both nodes, for tests about something else. */
  let trusted: string;
  const open: SshConnection[] = [];

  beforeAll(async () => {
    set = await startNodes(2);
    dir = await testDir('ssh');
    trusted = join(dir, 'trusted_known_hosts');
    await writeFile(trusted, knownHostsFor(set));
  });
  afterAll(async () => {
    await Promise.all(open.map((c) => c.close()));
    await set?.stop();
  });

  function options(i: number, extra: Partial<SshConnectOptions> = {}): SshConnectOptions {
    return {
      host: set.nodes[i]!.address,
      username: 'root',
      privateKey: set.privateKeyPath,
      knownHostsPath: trusted,
      ...extra,
    };
  }
  async function connect(i: number, extra: Partial<SshConnectOptions> = {}): Promise<SshConnection> {
    const conn = await SshConnection.connect(options(i, extra));
    open.push(conn);
    return conn;
  }
  async function connectError(opts: SshConnectOptions): Promise<SshError> {
    const err = await SshConnection.connect(opts).then(
      (c) => {
        open.push(c);
        throw new Error('connected, but should have been refused');
      },
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SshError);
    return err as SshError;
  }

  it('a non-root user works through sudo: commands, files and uploads land as root, and a timeout still kills', async () => {
    await ensureUser('corral-ops', { sudo: true });
    const conn = await connect(0, { username: 'corral-ops' });
    expect(conn.usesSudo).toBe(true);
    expect((await conn.run('id -u')).stdout.trim()).toBe('0');
    expect((await conn.run('id -un', { asLoginUser: true })).stdout.trim()).toBe('corral-ops');

    const bytes = randomBytes(4096);
    await conn.writeFile('/etc/kubernetes/sudo-test/secret.bin', bytes, 0o600);
    expect((await set.exec(0, 'stat -c "%u %a" /etc/kubernetes/sudo-test/secret.bin')).stdout.trim()).toBe('0 600');
    expect(Buffer.compare((await conn.readFile('/etc/kubernetes/sudo-test/secret.bin'))!, bytes)).toBe(0);
    expect(await conn.readFile('/etc/kubernetes/sudo-test/missing')).toBeNull();

    const local = join(dir, 'sudo-upload.bin');
    await writeFile(local, randomBytes(3 << 20));
    expect(await conn.upload(local, '/opt/rke/bin/sudo-upload', 0o755)).toBe(true);
    const uploaded = await set.exec(0, 'stat -c "%u %a" /opt/rke/bin/sudo-upload; sha256sum /opt/rke/bin/sudo-upload');
    const sha = (await execFileP('sha256sum', [local])).stdout.split(' ')[0];
    expect(uploaded.stdout).toContain('0 755');
    expect(uploaded.stdout).toContain(sha);
    expect(await conn.upload(local, '/opt/rke/bin/sudo-upload', 0o755)).toBe(false);
    // The staging copy in the user's temporary folder is gone.
    expect((await set.exec(0, 'find /tmp -user corral-ops')).stdout.trim()).toBe('');

    // `timeout` runs inside sudo, so it can kill what root started.
    const err = await conn.run('sleep 60; echo never', { timeoutMs: 1000 }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as SshError).code).toBe('Timeout');
    await eventually(async () => {
      const left = await set.exec(0, 'ps -eo args | grep "[s]leep 60" || true');
      if (left.stdout.trim()) throw new Error(`still running: ${left.stdout}`);
    }, 'the timed-out command to be gone');
  });

  it('a non-root user without passwordless sudo is refused at connect, with the fix', async () => {
    await ensureUser('corral-nosudo', { sudo: false });
    const err = await connectError(options(1, { username: 'corral-nosudo' }));
    expect(err.code).toBe('SudoRefused');
    expect(err.message).toContain('corral-nosudo');
    expect(err.message).toContain('NOPASSWD');
  });

  it('gives each node its own hostname and its own /etc/kubernetes', async () => {
    const [a, b] = await Promise.all([connect(0), connect(1)]);
    expect((await a.run('hostname')).stdout.trim()).toBe(`${set.name}-0`);
    expect((await b.run('hostname')).stdout.trim()).toBe(`${set.name}-1`);
    expect((await set.exec(1, 'cat /etc/hostname')).stdout.trim()).toBe(`${set.name}-1`);
    // Its own PID namespace, whose init reaps orphans; a time limit kills what exec started.
    expect((await set.exec(1, 'cat /proc/1/cmdline')).stdout).toContain('node-init.pl');
    expect((await set.exec(1, 'sleep 60', { timeoutMs: 200 })).code).toBe(137);

    const name = `private-${set.name}.txt`;
    await a.writeFile(`/etc/kubernetes/${name}`, 'node 0 only\n', 0o644);
    expect(await a.readFile(`/etc/kubernetes/${name}`)).toEqual(Buffer.from('node 0 only\n'));
    expect(await readFile(join(set.nodes[0]!.hostDir, 'etc/kubernetes', name), 'utf8')).toBe('node 0 only\n');
    expect(await b.readFile(`/etc/kubernetes/${name}`)).toBeNull();
    expect(existsSync(join(set.nodes[1]!.hostDir, 'etc/kubernetes', name))).toBe(false);
    expect(existsSync(`/etc/kubernetes/${name}`)).toBe(false);
  });

  it('refuses an unknown host key, and with acceptNewHostKey records it the way ssh reads it', async () => {
    expect(await readFile(set.knownHostsPath, 'utf8')).toBe('');
    const kh = join(dir, 'new_known_hosts');
    const refused = await connectError(options(0, { knownHostsPath: kh }));
    expect(refused.code).toBe('HostKeyUnknown');
    expect(refused.message).toContain(set.nodes[0]!.address);
    expect(refused.message).toMatch(/SHA256:[A-Za-z0-9+/]{43}/);
    expect(refused.message).toContain('--accept-new-host-keys');
    expect(refused.message).toContain('ssh-keyscan');
    expect(existsSync(kh)).toBe(false);

    const conn = await connect(0, { knownHostsPath: kh, acceptNewHostKey: true });
    expect((await conn.run('echo ok')).stdout).toBe('ok\n');
    expect(await readFile(kh, 'utf8')).toBe(`${set.nodes[0]!.address} ${set.nodes[0]!.hostKeys[0]}\n`);
    // OpenSSH finds the entry, and the next connection needs no flag.
    const found = await execFileP('ssh-keygen', ['-F', set.nodes[0]!.address, '-f', kh]);
    expect(found.stdout).toContain(set.nodes[0]!.hostKeys[0]);
    await (await connect(0, { knownHostsPath: kh })).close();
  });

  it('trusts hashed entries and keys of another type that ssh wrote', async () => {
    const kh = join(dir, 'hashed_known_hosts');
    // Only node 0's ECDSA key, hashed by OpenSSH: the server must be asked for its ECDSA key.
    await writeFile(kh, `${set.nodes[0]!.address} ${set.nodes[0]!.hostKeys[1]}\n`);
    await execFileP('ssh-keygen', ['-H', '-f', kh]);
    expect(await readFile(kh, 'utf8')).toMatch(/^\|1\|/);
    const conn = await connect(0, { knownHostsPath: kh });
    expect((await conn.run('hostname')).stdout.trim()).toBe(`${set.name}-0`);
  });

  it('refuses a changed host key, even with acceptNewHostKey', async () => {
    const kh = join(dir, 'wrong_known_hosts');
    // Node 1's keys filed under node 0's address: what a man in the middle looks like.
    await writeFile(kh, set.nodes[1]!.hostKeys.map((k) => `${set.nodes[0]!.address} ${k}\n`).join(''));
    const before = await readFile(kh, 'utf8');
    const err = await connectError(options(0, { knownHostsPath: kh, acceptNewHostKey: true }));
    expect(err.code).toBe('HostKeyMismatch');
    expect(err.message).toContain('CHANGED');
    expect(err.message).toContain('man in the middle');
    expect(err.message).toContain(`ssh-keygen -f ${kh} -R`);
    expect(await readFile(kh, 'utf8')).toBe(before);
  });

  it('reports a key the node does not accept as AuthFailed, and an unusable key as KeyUnreadable', async () => {
    const other = join(dir, 'other_key');
    await execFileP('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other]);
    const denied = await connectError(options(0, { privateKey: other }));
    expect(denied.code).toBe('AuthFailed');
    expect(denied.message).toContain('authorized_keys');
    expect(denied.message).toContain(other);

    const missing = await connectError(options(0, { privateKey: join(dir, 'no-such-key') }));
    expect(missing.code).toBe('KeyUnreadable');
    expect(missing.message).toContain('no-such-key');

    const locked = join(dir, 'locked_key');
    await execFileP('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'secret', '-f', locked]);
    const encrypted = await connectError(options(0, { privateKey: locked }));
    expect(encrypted.code).toBe('KeyUnreadable');
    expect(encrypted.message).toContain('ssh-agent');

    const noAgent = await connectError(options(0, { privateKey: undefined, useAgent: true, agentSocket: '' }));
    expect(noAgent.code).toBe('KeyUnreadable');
  });

  it('authenticates with an inline key and with ssh-agent', async () => {
    const pem = await readFile(set.privateKeyPath, 'utf8');
    const inline = await connect(0, { privateKey: pem });
    expect((await inline.run('id -u')).stdout.trim()).toBe('0');

    const socket = join(dir, 'agent.sock');
    const agent: ChildProcess = spawn('ssh-agent', ['-D', '-a', socket], { stdio: 'ignore' });
    try {
      await eventually(async () => {
        await stat(socket);
      }, 'ssh-agent socket');
      await execFileP('ssh-add', [set.privateKeyPath], { env: { ...process.env, SSH_AUTH_SOCK: socket } });
      const viaAgent = await connect(1, { privateKey: undefined, useAgent: true, agentSocket: socket });
      expect((await viaAgent.run('hostname')).stdout.trim()).toBe(`${set.name}-1`);
    } finally {
      agent.kill();
    }
  });

  it('reports an address where nothing answers as Unreachable, without waiting for the timeout', async () => {
    // On the set's bridge, but no node has it: no ARP answer, "no route to host".
    const nobody = set.subnet.replace(/\.0\/24$/, '.99');
    const unreachable = await connectError(options(0, { host: nobody, readyTimeoutMs: 100_000 }));
    expect(unreachable.code).toBe('Unreachable');
    expect(unreachable.message).toContain(nobody);
    const refused = await connectError(options(0, { port: 2222, readyTimeoutMs: 100_000 }));
    expect(refused.code).toBe('Unreachable');
    expect(refused.message).toContain('connection refused');
  });

  it('runs commands: exit codes, stdin, streaming, failures and timeouts', async () => {
    const conn = await connect(0);
    expect(await conn.run('echo out; echo err >&2; exit 3')).toEqual({ code: 3, stdout: 'out\n', stderr: 'err\n' });
    expect((await conn.run('cat', { input: 'from stdin' })).stdout).toBe('from stdin');
    // /bin/sh, whatever root's login shell is.
    expect((await conn.run('readlink /proc/$$/exe')).stdout.trim()).toMatch(/\/(dash|sh|bash)$/);

    const failed = await conn.runOk('echo first >&2; echo last words >&2; exit 7').then(
      () => undefined,
      (e: unknown) => e as SshError,
    );
    expect(failed).toBeInstanceOf(SshError);
    expect(failed).toMatchObject({ code: 'CommandFailed', exitCode: 7 });
    expect(failed!.stderrTail).toContain('last words');
    expect(failed!.message).toContain(set.nodes[0]!.address);

    let streamed = '';
    const result = await conn.stream('seq 1 50000; echo done >&2', { onStdout: (t) => (streamed += t) });
    expect(result.code).toBe(0);
    expect(streamed.split('\n')[49_999]).toBe('50000');
    expect(result.stdoutTail.endsWith('50000\n')).toBe(true);
    expect(result.stdoutTail.length).toBeLessThan(streamed.length);
    expect(result.stderrTail).toBe('done\n');

    const slow = await conn.run('sleep 60', { timeoutMs: 300 }).then(
      () => undefined,
      (e: unknown) => e as SshError,
    );
    expect(slow).toMatchObject({ code: 'Timeout' });
    // The connection stays usable.
    expect((await conn.run('echo still here')).stdout).toBe('still here\n');
  });

  it('writes files atomically with their mode, reads them back, and reads a missing file as null', async () => {
    const conn = await connect(1);
    const content = randomBytes(256 * 1024);
    const path = '/etc/kubernetes/ssl/deep/new/kube-node.pem';
    await conn.writeFile(path, content, 0o600);
    expect(await conn.readFile(path)).toEqual(content);
    expect((await conn.run(`stat -c %a ${path}`)).stdout.trim()).toBe('600');
    await conn.writeFile(path, 'replaced', 0o640);
    expect((await conn.readFile(path))!.toString()).toBe('replaced');
    expect((await conn.run(`stat -c %a ${path}`)).stdout.trim()).toBe('640');
    // No temporary files are left next to it.
    expect((await conn.run('ls -A /etc/kubernetes/ssl/deep/new')).stdout).toBe('kube-node.pem\n');
    expect(await conn.readFile('/etc/kubernetes/ssl/absent.pem')).toBeNull();
  });

  it('uploads a file, skips it when the node has the same content, replaces it when not', async () => {
    const conn = await connect(1);
    const local = join(dir, 'binary-a');
    const data = randomBytes(24 << 20);
    await writeFile(local, data);
    const remote = '/opt/rke/bin/some-binary';
    expect(await conn.upload(local, remote, 0o755)).toBe(true);
    const sha = (await conn.run(`sha256sum ${remote}`)).stdout.split(' ')[0];
    expect(sha).toBe((await execFileP('sha256sum', [local])).stdout.split(' ')[0]);
    expect((await conn.run(`stat -c %a ${remote}`)).stdout.trim()).toBe('755');
    expect((await stat(join(set.nodes[1]!.hostDir, 'opt/rke/bin/some-binary'))).size).toBe(data.length);

    expect(await conn.upload(local, remote, 0o755)).toBe(false);

    const changed = join(dir, 'binary-b');
    await writeFile(changed, 'another build');
    expect(await conn.upload(changed, remote, 0o755)).toBe(true);
    expect((await conn.readFile(remote))!.toString()).toBe('another build');
  });

  it('preflight reports a port taken inside one node only, and the node facts', async () => {
    const node = set.nodes[0]!;
    const listener = `require('net').createServer().listen(6443, '0.0.0.0')`;
    expect((await set.exec(0, `setsid nohup node -e "${listener}" >/dev/null 2>&1 &`)).code).toBe(0);
    await eventually(async () => {
      const { stdout } = await set.exec(0, 'ss -Htln sport = :6443');
      if (!stdout.includes('6443')) throw new Error('not listening yet');
    }, 'a listener on 6443 inside node 0');

    const checks: PreflightChecks = {
      portsMustBeFree: [6443, 2379],
      needSwapOff: true,
      minDiskFreeBytes: 1,
      maxClockSkewMs: 60_000,
      requiredCommands: ['sh', 'mount', 'no-such-command-corral'],
      binaries: { dir: '/opt/rke/bin', names: ['etcd-corral-absent'] },
    };
    const [a, b] = await Promise.all([connect(0), connect(1)]);
    const first = await preflight(a, checks);
    const byCheck = (check: string) => first.problems.filter((p) => p.check === check);
    expect(byCheck('ports')).toHaveLength(1);
    expect(byCheck('ports')[0]!.message).toContain('port 6443');
    expect(byCheck('ports')[0]!.message).toMatch(/by (node|MainThread) \(pid \d+\)/);
    expect(byCheck('commands')[0]!.message).toContain('no-such-command-corral');
    expect(byCheck('commands')[0]!.message).not.toContain('mount');
    expect(byCheck('binaries')[0]!.message).toContain('etcd-corral-absent');
    expect(byCheck('swap')).toEqual([]);
    expect(byCheck('disk')).toEqual([]);
    expect(byCheck('arch')).toEqual([]);
    expect(first.facts).toMatchObject({ arch: 'x86_64', hostname: node.name, hasSystemd: false });
    expect(first.facts.kernel).not.toBe('');
    expect(first.facts.diskFreeBytes).toBeGreaterThan(0);
    expect(Number.isInteger(first.facts.clockSkewMs)).toBe(true);
    expect(first.facts.listeners.some((l) => l.port === 22 && l.address === node.address)).toBe(true);

    // Node 1 has its own network: 6443 is free there. A disk demand no node meets is reported.
    const second = await preflight(b, {
      ...checks,
      requiredCommands: [],
      binaries: undefined,
      minDiskFreeBytes: 2 ** 60,
    });
    expect(second.problems.map((p) => p.check)).toEqual(['disk']);
    expect(second.problems[0]!.message).toContain('/var/lib');
  });

  it('keeps a process started detached over SSH after the session closes, and reaps it when it ends', async () => {
    const conn = await SshConnection.connect(options(1));
    const pid = (await conn.runOk('setsid nohup sleep 1000 >/dev/null 2>&1 < /dev/null & echo $!')).stdout.trim();
    await conn.close();
    const later = await connect(1);
    expect((await later.run(`cat /proc/${pid}/cmdline | tr '\\0' ' '`)).stdout).toBe('sleep 1000 ');
    await later.runOk(`kill ${pid}`);
    // Gone from /proc altogether: the node's init reaps it, it does not linger as a zombie.
    await eventually(async () => {
      if ((await later.run(`test -e /proc/${pid}`)).code === 0) throw new Error(`${pid} still in /proc`);
    }, 'the killed process to be reaped');
  });

  it('connectAll connects to every node, or reports every failure at once', async () => {
    const node = (i: number, extra: Record<string, unknown> = {}) => ({
      address: set.nodes[i]!.address,
      port: 22,
      user: 'root',
      ssh_key_path: set.privateKeyPath,
      ssh_key: '',
      hostname_override: set.nodes[i]!.name,
      ...extra,
    });
    const all = await connectAll([node(0), node(1)], { knownHostsPath: trusted });
    expect(all.failures).toEqual([]);
    const conns = [...all.connected.values()];
    expect([...all.connected.keys()]).toEqual([set.nodes[0]!.address, set.nodes[1]!.address]);
    const names = await Promise.all(conns.map(async (c) => (await c.run('hostname')).stdout.trim()));
    expect(names).toEqual([`${set.name}-0`, `${set.name}-1`]);
    expect(all.connected.get(set.nodes[1]!.address)!.label).toBe(`${set.nodes[1]!.address} (${set.name}-1)`);
    await Promise.all(conns.map((c) => c.close()));

    const some = await connectAll(
      [node(0), node(1, { port: 2222 }), node(1, { address: set.nodes[1]!.address, ssh_key_path: join(dir, 'nope') })],
      { knownHostsPath: trusted },
    );
    open.push(...some.connected.values());
    expect([...some.connected.keys()]).toEqual([set.nodes[0]!.address]);
    expect(some.failures.map((f) => f.code)).toEqual(['Unreachable', 'KeyUnreadable']);
    expect(some.failures[0]!.message).toContain(`${set.nodes[1]!.address}:2222`);
    expect(some.failures[1]!.message).toContain('nope');
  });
});

describe('test node sets', () => {
  it('down leaves no namespace, process, link or folder behind', async () => {
    const set = await startNodes(1);
    const ns = set.nodes[0]!.name;
    const pids = (await execFileP('ip', ['netns', 'pids', ns])).stdout.split('\n').filter(Boolean).map(Number);
    expect(pids).toContain(set.nodes[0]!.initPid);
    // Something started over SSH is in the node too, and must go with it.
    expect((await set.exec(0, 'setsid nohup sleep 1000 >/dev/null 2>&1 &')).code).toBe(0);

    await set.stop();
    expect((await execFileP('ip', ['netns', 'list'])).stdout).not.toMatch(new RegExp(`^${ns}\\b`, 'm'));
    const links = (await execFileP('ip', ['-o', 'link', 'show'])).stdout;
    expect(links).not.toContain(`${set.bridge}:`);
    expect(existsSync(set.dir)).toBe(false);
    for (const pid of pids) expect(await isRunning(pid)).toBe(false);
    expect((await execFileP('pgrep', ['-f', set.dir]).catch((e: { stdout: string }) => e)).stdout).toBe('');
    expect((await execFileP(nodesScript(), ['ls'])).stdout).not.toContain(set.name);
    await set.stop(); // idempotent
  });
});

describe('test node sets after a crash', () => {
  it('down still removes a set whose nodes died and whose folder is gone', async () => {
    const set = await startNodes(1);
    const ns = set.nodes[0]!.name;
    // A crash mid-test: the node's init killed (and with it the node), its folder lost.
    process.kill(set.nodes[0]!.initPid, 'SIGKILL');
    await rm(set.dir, { recursive: true, force: true });

    await set.stop();
    expect((await execFileP('ip', ['netns', 'list'])).stdout).not.toMatch(new RegExp(`^${ns}\\b`, 'm'));
    expect((await execFileP('ip', ['-o', 'link', 'show'])).stdout).not.toContain(`${set.bridge}:`);
    expect((await execFileP(nodesScript(), ['ls'])).stdout).not.toContain(set.name);
  });
});

/** Running, as opposed to gone or a zombie (nothing on this machine reaps orphans). */
async function isRunning(pid: number): Promise<boolean> {
  try {
    const s = await readFile(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}
