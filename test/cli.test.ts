import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, onTestFinished, test } from 'vitest';
import { parse } from 'yaml';
import { binaryPath } from '../src/kube/binaries.js';
import type { ControlPlane } from '../src/localcluster/control-plane.js';
import { freePort } from '../src/localcluster/ports.js';
import { CORRAL_BIN } from './helpers/cli.js';
import { agentCredentials, kubectlWith } from './helpers/clusters.js';
import { startTestControlPlane, testDir } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';
import { adminToken, startTestServer, type TestServer } from './helpers/server.js';

const execFileP = promisify(execFile);

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The built `corral` executable with its own config file (and HOME, TMPDIR), optionally fed stdin. */
function cli(home: string) {
  const env = { CORRAL_CONFIG: join(home, 'config'), HOME: home, TMPDIR: join(home, 'tmp'), KUBECONFIG: '' };
  const run = (args: string[], input?: string): Promise<Run> =>
    new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [CORRAL_BIN, ...args], {
        env: { ...process.env, ...env },
        stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
      child.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
      if (input !== undefined) child.stdin!.end(input);
    });
  /** Runs and expects success, returning stdout. */
  const ok = async (args: string[], input?: string) => {
    const r = await run(args, input);
    if (r.code !== 0) throw new Error(`corral ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
    return r.stdout;
  };
  return { env, run, ok };
}

async function newHome(name: string) {
  const home = await testDir(`cli-${name}`);
  const { mkdir } = await import('node:fs/promises');
  await mkdir(join(home, 'tmp'));
  return home;
}

async function caFile(server: TestServer): Promise<string> {
  const file = join(await testDir('ca'), 'ca.pem');
  await writeFile(file, server.ca);
  return file;
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * After the printed insecure command was applied: run the agent as a process with the credentials
 * the manifest put in the cluster, as its pod would (see importWithAgent in helpers/clusters.ts).
 */
async function runAgent(cp: ControlPlane, name: string): Promise<ChildProcess> {
  const { env, kubeconfig: kc } = await agentCredentials(cp, name);
  const child = spawn(process.execPath, [CORRAL_BIN, 'agent', '--kubeconfig', kc], {
    env: { ...process.env, ...env },
    stdio: 'ignore',
  });
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  return child;
}

describe('corral CLI', () => {
  test('log in, import a cluster, switch context, projects, namespaces, members, kubectl as a member', async () => {
    const [server, cp] = await Promise.all([startTestServer(), startTestControlPlane({ name: 'cli' })]);
    const admin = await adminToken(server);
    const ca = await caFile(server);
    const home = await newHome('admin');
    const c = cli(home);

    // Log in with a token and a CA file; the config is private and records the server.
    await c.ok(['login', server.url, '--token', admin, '--cacert', ca, '--name', 'test']);
    expect((await stat(c.env.CORRAL_CONFIG)).mode & 0o777).toBe(0o600);
    const current = JSON.parse(await c.ok(['context', 'current', '-o', 'json']));
    expect(current).toMatchObject({ server: 'test', user: 'admin', url: server.url });

    // Import: the printed insecure command applied with the real kubectl; --wait shows progress.
    const imp = spawn(process.execPath, [CORRAL_BIN, 'clusters', 'import', 'cli-a', '--wait'], {
      env: { ...process.env, ...c.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    onTestFinished(() => {
      imp.kill('SIGKILL');
    });
    let impOut = '';
    let impErr = '';
    imp.stdout.on('data', (d: Buffer) => (impOut += d.toString()));
    imp.stderr.on('data', (d: Buffer) => (impErr += d.toString()));
    const impDone = new Promise<number | null>((r) => imp.on('close', r));
    const insecure = await eventually(async () => {
      const m = /^ {2}(curl --insecure .*)$/m.exec(impOut);
      if (!m) throw new Error(`no insecure command yet: ${impOut}${impErr}`);
      return m[1]!;
    }, 'the import command');
    expect(impOut).toMatch(/^ {2}kubectl apply -f https:\/\/127\.0\.0\.1:\d+\/v3\/import\/\S+\.yaml$/m);
    const kubectl = await binaryPath('kubectl');
    await execFileP('sh', ['-c', insecure], {
      env: { ...process.env, KUBECONFIG: cp.kubeconfigPath, PATH: `${dirname(kubectl)}:${process.env.PATH}` },
    });
    await runAgent(cp, 'cli-a');
    expect(await impDone, impErr).toBe(0);
    expect(impErr).toMatch(/c-[a-z0-9]{5} (pending|provisioning)/);
    expect(impErr).toContain('is active');
    const clusters = JSON.parse(await c.ok(['clusters', 'ls', '-o', 'json']));
    const clusterId = clusters.find((x: { name: string }) => x.name === 'cli-a').id as string;
    expect((await c.ok(['clusters', 'ls', '-q'])).split('\n')).toContain(clusterId);
    const table = await c.ok(['clusters', 'ls']);
    expect(table.split('\n')[0]).toMatch(/^ID\s+NAME\s+STATE\s+DRIVER\s+NODECOUNT\s+AGE$/);
    expect(table).toMatch(new RegExp(`${clusterId}\\s+cli-a\\s+active\\s+imported`));
    expect(parse(await c.ok(['clusters', 'get', 'cli-a', '-o', 'yaml'])).id).toBe(clusterId);

    // Context, projects, namespaces.
    await c.ok(['context', 'switch', 'cli-a']);
    const teamA = JSON.parse(await c.ok(['projects', 'create', 'team-a', '-o', 'json'])).id as string;
    const teamB = JSON.parse(await c.ok(['projects', 'create', 'team-b', '-o', 'json'])).id as string;
    expect(teamA).toMatch(new RegExp(`^${clusterId}:p-`));
    expect(await c.ok(['projects', 'ls', '-q'])).toContain(teamB);
    await c.ok(['context', 'switch', 'cli-a/team-a']);
    expect(JSON.parse(await c.ok(['context', 'current', '-o', 'json']))).toMatchObject({
      cluster: 'cli-a',
      project: 'team-a',
      projectId: teamA,
    });
    expect(await c.ok(['context', 'ls'])).toMatch(/cli-a\/team-a\s+\*/);
    const ns = JSON.parse(await c.ok(['namespaces', 'create', 'team-a-web', '-o', 'json']));
    expect(ns).toMatchObject({ name: 'team-a-web', projectId: teamA });
    await c.ok(['namespaces', 'create', 'team-b-web', '--project', 'team-b']);
    await c.ok(['namespaces', 'create', 'team-a-tmp']);
    expect((await c.ok(['namespaces', 'ls', '-q'])).trim().split('\n').sort()).toEqual(['team-a-tmp', 'team-a-web']);
    expect(await c.ok(['namespaces', 'ls', '-A', '-q'])).toContain('team-b-web');
    expect(JSON.parse(await c.ok(['namespaces', 'move', 'team-a-tmp', 'team-b', '-o', 'json'])).projectId).toBe(teamB);
    await c.ok(['namespaces', 'rm', 'team-a-tmp']);

    // A user and a member; the member's kubectl sees only what RBAC allows.
    const alice = JSON.parse(
      await c.ok(['users', 'create', 'alice', '--password-stdin', '-o', 'json'], 'alice-password-1\n'),
    );
    expect(alice).toMatchObject({ username: 'alice', enabled: true });
    await c.ok(['projects', 'members', 'add', 'alice', '--role', 'project-member']);
    // Quotas from the command line, checked by the server.
    const quota = JSON.parse(
      await c.ok([
        'projects',
        'quota',
        'set',
        '--limit',
        'pods=20,limitsMemory=8Gi',
        '--namespace-default',
        'pods=5,limitsMemory=2Gi',
        '-o',
        'json',
      ]),
    );
    expect(quota.resourceQuota.limit).toEqual({ pods: '20', limitsMemory: '8Gi' });
    expect(quota.namespaceDefaultResourceQuota.limit).toEqual({ pods: '5', limitsMemory: '2Gi' });
    const overDefault = await c.run(['projects', 'quota', 'set', '--namespace-default', 'pods=50']);
    expect(overDefault.code).toBe(1);
    expect(overDefault.stderr).toMatch(/namespaceDefaultResourceQuota\.limit\.pods/);
    const badPair = await c.run(['projects', 'quota', 'set', '--limit', 'pods']);
    expect(badPair.code).toBe(2);
    await c.ok(['projects', 'quota', 'set', '--clear']);
    const members = JSON.parse(await c.ok(['projects', 'members', 'ls', '-o', 'json']));
    expect(members.map((m: { userId: string; roleTemplateId: string }) => `${m.userId}:${m.roleTemplateId}`)).toContain(
      `${alice.id}:project-member`,
    );

    const a = cli(await newHome('alice'));
    await a.ok(
      ['login', server.url, '--username', 'alice', '--password-stdin', '--ca-checksum', sha256(server.ca)],
      'alice-password-1\n',
    );
    await a.ok(['context', 'switch', 'cli-a']);
    const ka = (...args: string[]) => a.run(['kubectl', ...args]);
    await eventually(async () => {
      const r = await ka('get', 'pods', '-n', 'team-a-web');
      if (r.code !== 0) throw new Error(r.stderr);
    }, 'alice to read pods in team-a-web');
    expect((await ka('get', 'ns', 'team-a-web', '-o', 'name')).stdout.trim()).toBe('namespace/team-a-web');
    const listNs = await ka('get', 'ns');
    expect(listNs.code).not.toBe(0);
    expect(listNs.stderr).toMatch(/forbidden/i);
    const other = await ka('get', 'pods', '-n', 'team-b-web');
    expect(other.code).not.toBe(0);
    expect(other.stderr).toMatch(/forbidden/i);
    expect((await ka('get', 'ns', 'team-b-web')).stderr).toMatch(/forbidden/i);
    // kubectl's own exit code comes back; no kubeconfig was left behind in TMPDIR or HOME.
    expect((await ka('get', 'pods', '-n', 'team-b-web')).code).toBe(1);
    expect(await readdir(a.env.TMPDIR)).toEqual([]);
    const aliceSecret = parse(await readFile(a.env.CORRAL_CONFIG, 'utf8')).servers[0].token.split(':')[1] as string;
    for (const f of await readdir(dirname(a.env.CORRAL_CONFIG), { recursive: true, withFileTypes: true })) {
      if (!f.isFile() || join(f.parentPath, f.name) === a.env.CORRAL_CONFIG) continue;
      expect(await readFile(join(f.parentPath, f.name), 'utf8'), f.name).not.toContain(aliceSecret);
    }
    // The admin's kubectl sees everything.
    expect((await c.ok(['kubectl', 'get', 'ns', '-o', 'name'])).split('\n')).toContain('namespace/team-b-web');

    // Kubeconfig: written with mode 0600, or merged into ~/.kube/config.
    const kcFile = join(home, 'cli-a.yaml');
    await c.ok(['clusters', 'kubeconfig', 'cli-a', '-f', kcFile]);
    expect((await stat(kcFile)).mode & 0o777).toBe(0o600);
    expect((await kubectlWith(kcFile, 'get', 'ns', 'team-a-web', '-o', 'name')).stdout.trim()).toBe(
      'namespace/team-a-web',
    );
    await c.ok(['clusters', 'kubeconfig', '--merge']);
    const merged = parse(await readFile(join(home, '.kube', 'config'), 'utf8'));
    expect(merged['current-context']).toBe('cli-a');
    expect(merged.clusters[0].cluster.server).toBe(`${server.url}/k8s/clusters/${clusterId}`);

    // Members rm, users disable/enable, tokens.
    await c.ok(['projects', 'members', 'rm', 'alice']);
    expect(await c.ok(['projects', 'members', 'ls', '-q'])).not.toContain(alice.id);
    await c.ok(['users', 'disable', 'alice']);
    const users = JSON.parse(await c.ok(['users', 'ls', '-o', 'json']));
    expect(users.find((u: { username: string }) => u.username === 'alice').enabled).toBe(false);
    await c.ok(['users', 'enable', 'alice']);
    const secret = (await c.ok(['tokens', 'create', '--ttl', '1h', '--description', 'ci'])).trim();
    expect(secret).toMatch(/^token-[a-z0-9]+:\S+$/);
    const tokenId = secret.split(':')[0]!;
    expect(await c.ok(['tokens', 'ls', '-q'])).toContain(tokenId);
    expect((await server.call('/v3/clusters', { token: secret })).status).toBe(200);
    await c.ok(['tokens', 'rm', tokenId]);
    expect((await server.call('/v3/clusters', { token: secret })).status).toBe(401);

    // Verbs derived from the schema: whole groups (roles, settings), get, and typed create flags.
    expect((await c.ok(['roles', 'ls', '-q'])).split('\n')).toContain('project-member');
    const role = JSON.parse(
      await c.ok(['roles', 'global', 'create', '--name', 'auditors', '--new-user-default', 'false', '-o', 'json']),
    );
    expect(role).toMatchObject({ name: 'auditors', newUserDefault: false });
    await c.ok(['roles', 'global', 'rm', role.id]);
    expect(JSON.parse(await c.ok(['settings', 'set', 'password-min-length', '14', '-o', 'json'])).value).toBe('14');
    expect(JSON.parse(await c.ok(['users', 'get', alice.id, '-o', 'json'])).username).toBe('alice');

    // Logout of a username login ends the session on the server and forgets it.
    const aliceToken = parse(await readFile(a.env.CORRAL_CONFIG, 'utf8')).servers[0].token as string;
    expect((await server.call('/v3/clusters', { token: aliceToken })).status).toBe(200);
    await a.ok(['logout']);
    expect((await server.call('/v3/clusters', { token: aliceToken })).status).toBe(401);
    expect(parse(await readFile(a.env.CORRAL_CONFIG, 'utf8')).servers).toEqual([]);
    // Logging out with an API key forgets it but keeps the key (login did not make it); the
    // admin's token came from a username login (a session), so logout ends it.
    const key = (await c.ok(['tokens', 'create', '--description', 'key'])).trim();
    await c.ok(['login', server.url, '--token', key, '--cacert', ca, '--name', 'key']);
    await c.ok(['logout', 'key']);
    expect((await server.call('/v3/clusters', { token: key })).status).toBe(200);
    await c.ok(['logout', 'test']);
    expect((await server.call('/v3/clusters', { token: admin })).status).toBe(401);
  });

  test('bad input: one line that says what to do, and the right exit code', async () => {
    const server = await startTestServer();
    const admin = await adminToken(server);
    const ca = await caFile(server);
    const c = cli(await newHome('bad'));
    const fails = async (args: string[], code: number, pattern: RegExp, input?: string) => {
      const r = await c.run(args, input);
      expect(r.code, `${args.join(' ')}: ${r.stderr}`).toBe(code);
      expect(r.stderr).toMatch(pattern);
      // one line of error (plus commander's usage hint for usage errors)
      expect(
        r.stderr
          .trim()
          .split('\n')
          .filter((l) => l.startsWith('error')).length,
      ).toBe(1);
      return r;
    };

    // Not logged in.
    await fails(['clusters', 'ls'], 1, /not logged in: run corral login/);
    // Wrong URL.
    await fails(['login', 'http://127.0.0.1:1', '--token', admin], 2, /not an https URL/);
    await fails(['login', 'https://127.0.0.1:1/v3', '--token', admin], 2, /give only https:\/\/host\[:port\]/);
    await fails(['login', server.url, '--token', 'nonsense'], 2, /token-xxxxx:secret/);
    await fails(['login', server.url], 2, /--token <token> or --username/);
    // Server down / nothing listening.
    const closed = `https://127.0.0.1:${await freePort()}`;
    await fails(['login', closed, '--token', admin, '--cacert', ca], 1, /connection refused; is the server running/);
    // Wrong CA.
    const otherCa = join(await testDir('other-ca'), 'ca.pem');
    const { createCA } = await import('../src/pki/index.js');
    await writeFile(otherCa, (await createCA({ commonName: 'someone-else' })).certPem);
    await fails(['login', server.url, '--token', admin, '--cacert', otherCa], 1, /is not trusted by the CA.*--cacert/);
    // Trust on first use without a terminal: only with a matching checksum.
    await fails(['login', server.url, '--token', admin], 1, /--ca-checksum .*or --cacert/);
    await fails(['login', server.url, '--token', admin, '--ca-checksum', 'ab'.repeat(32)], 1, /not the --ca-checksum/);
    // Invalid and expired tokens.
    await fails(['login', server.url, '--token', 'token-zzzzz:wrong', '--cacert', ca], 1, /run corral login .* again/);
    const short = await server.call('/v3/tokens', { token: admin, body: { ttl: 3000, description: 'short' } });
    expect(short.status, short.text).toBe(201);
    await c.ok(['login', server.url, '--token', short.json.token, '--cacert', ca]);
    // 3 s: a loaded machine can take more than 1 s to log in with it.
    await new Promise((r) => setTimeout(r, 3500));
    await fails(['clusters', 'ls'], 1, /invalid or expired; run corral login https:\/\/127\.0\.0\.1:\d+ again/);
    await c.ok(['login', server.url, '--token', admin, '--ca-checksum', sha256(server.ca), '--yes']);

    // Unknown cluster and project; server errors carry message and field.
    await fails(['clusters', 'get', 'nope'], 1, /unknown cluster "nope": see corral clusters ls/);
    await fails(['context', 'switch', 'c-zzzzz'], 1, /unknown cluster "c-zzzzz"/);
    const bad = await fails(['clusters', 'import', 'Not_A_Name'], 1, /\(field name\) \[422 /);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    await fails(['projects', 'ls'], 2, /no current cluster: run corral context switch/);
    // Usage errors.
    await fails(['context', 'switch'], 2, /no terminal to choose on/);
    await fails(['clusters', 'ls', '--bogus'], 2, /unknown option '--bogus'/);
    await fails(['clusters', 'ls', '-o', 'xml'], 2, /argument 'xml' is invalid/);
    await fails(['completion', 'fish'], 2, /unknown shell "fish"/);
    await fails(['users', 'create', 'bob'], 2, /use --password-stdin/);
    await fails(['tokens', 'create', '--ttl', 'soon'], 2, /not a duration/);
    await fails(
      ['users', 'create', 'bob', '--password-stdin', '--enabled', 'maybe'],
      2,
      /--enabled takes true or false, not "maybe"/,
      'a-long-password\n',
    );
    // Server down after login.
    await server.kill9();
    await fails(['clusters', 'ls'], 1, /cannot reach https:\/\/127\.0\.0\.1:\d+: connection refused/);
  });

  test('--help with examples on every verb, and completion scripts', async () => {
    const c = cli(await newHome('help'));
    const script = await c.ok(['completion', 'bash']);
    const paths = [...script.matchAll(/^ {4}"([^"]*)"\) words=/gm)].map((m) => m[1]!);
    const management = paths.filter((p) =>
      /^(login|logout|context|clusters|projects|namespaces|users|tokens|roles|settings|kubectl|completion|catalog|apps)( |$)/.test(
        p,
      ),
    );
    expect(management.length).toBeGreaterThan(30);
    const results = await Promise.all(management.map((p) => c.run([...p.split(' '), '--help'])));
    results.forEach((r, i) => {
      expect(r.code, management[i]).toBe(0);
      expect(r.stdout, management[i]).toMatch(/^Usage: corral /);
      const isGroup = paths.some((p) => p.startsWith(`${management[i]} `));
      if (!isGroup) expect(r.stdout, management[i]).toContain('Examples:');
    });
    // The bash script completes in a real bash.
    const out = await execFileP('bash', [
      '-c',
      `${script}\nCOMP_WORDS=(corral clusters im); COMP_CWORD=2; _corral; echo "\${COMPREPLY[@]}"\n` +
        `COMP_WORDS=(corral clusters import x --w); COMP_CWORD=4; _corral; echo "\${COMPREPLY[@]}"`,
    ]);
    // "im" is the start of two verbs: import and import-yaml.
    expect(out.stdout.split('\n').slice(0, 2)).toEqual(['import import-yaml', '--wait']);
    expect(await c.ok(['completion', 'zsh'])).toContain('#compdef corral');
  });

  test('on a terminal (tmux): trust on first use, the password prompt, and the interactive context switch', async () => {
    const server = await startTestServer();
    const admin = await adminToken(server);
    const cluster = await server.call('/v3/clusters', { token: admin, body: { name: 'tty-a' } });
    await server.call('/v3/clusters', { token: admin, body: { name: 'tty-b' } });
    const proj = await server.call('/v3/projects', { token: admin, body: { name: 'web', clusterId: cluster.json.id } });
    expect(proj.status, proj.text).toBe(201);
    const home = await newHome('tty');
    const c = cli(home);
    const sock = `corral-test-${process.pid}-${Date.now()}`;
    const tmux = (...args: string[]) => execFileP('tmux', ['-L', sock, ...args]);
    onTestFinished(async () => {
      await tmux('kill-server').catch(() => undefined);
    });
    // A session that outlives each CLI session: when the last session ends, the tmux server exits,
    // and a new-session racing that exit fails with "server exited unexpectedly".
    await tmux('new-session', '-d', '-s', 'keep', 'sleep 600');
    const envs = Object.entries(c.env)
      .map(([k, v]) => `${k}='${v}'`)
      .join(' ');
    const start = (args: string) =>
      tmux(
        'new-session',
        '-d',
        '-s',
        'cli',
        '-x',
        '200',
        '-y',
        '50',
        `env ${envs} ${process.execPath} ${CORRAL_BIN} ${args}; echo "EXIT=$?"; sleep 60`,
      );
    const pane = async () => (await tmux('capture-pane', '-p', '-t', 'cli')).stdout;
    const waitFor = (text: string | RegExp) =>
      eventually(
        async () => {
          const p = await pane();
          if (typeof text === 'string' ? !p.includes(text) : !text.test(p)) throw new Error(p);
          return p;
        },
        `the terminal to show ${text}`,
        20_000,
      );

    // Login: the CA fingerprint is shown and confirmed; the password is read without echo.
    await start(`login ${server.url} --username admin`);
    const shown = await waitFor('Trust this CA? [y/N]');
    expect(shown).toContain(sha256(server.ca));
    await tmux('send-keys', '-t', 'cli', 'y', 'Enter');
    await waitFor('Password for admin:');
    await tmux('send-keys', '-t', 'cli', '-l', 'admin-password-changed-1');
    await tmux('send-keys', '-t', 'cli', 'Enter');
    const done = await waitFor('EXIT=');
    expect(done).toContain('EXIT=0');
    expect(done).toContain('Logged in to');
    expect(done).not.toContain('admin-password-changed-1');
    await tmux('kill-session', '-t', 'cli');

    // Context switch without an argument: a numbered list, read a number.
    await start('context switch');
    const list = await waitFor(/Context \[1-\d+\]:/);
    const line = list.split('\n').find((l) => /\d+\) tty-a\/web/.test(l))!;
    const n = /(\d+)\)/.exec(line)![1]!;
    await tmux('send-keys', '-t', 'cli', n, 'Enter');
    expect(await waitFor('EXIT=')).toContain('EXIT=0');
    await tmux('kill-session', '-t', 'cli');
    expect(JSON.parse(await c.ok(['context', 'current', '-o', 'json']))).toMatchObject({
      cluster: 'tty-a',
      project: 'web',
      projectId: proj.json.id,
    });

    // A wrong choice is a usage error.
    await start('context switch');
    await waitFor(/Context \[1-\d+\]:/);
    await tmux('send-keys', '-t', 'cli', '99', 'Enter');
    expect(await waitFor('EXIT=')).toMatch(/is not a number from 1 to \d+[\s\S]*EXIT=2/);
  });
});
