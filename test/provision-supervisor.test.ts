import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { NodeIo } from '../src/provision/node-io.js';
import {
  applyUnit,
  installSupervisor,
  listUnits,
  removeUnit,
  stopUnit,
  unitStatus,
  type UnitSpec,
} from '../src/provision/supervisor/index.js';
import { SUPERVISE_SCRIPT } from '../src/provision/supervisor/script.js';
import { eventually } from './helpers/eventually.js';
import { nodeIoOf } from './helpers/local-node-io.js';
import { startNodes, type NodeSet } from './helpers/nodes.js';

let set: NodeSet;
let io: NodeIo;

beforeAll(async () => {
  set = await startNodes(1);
  io = nodeIoOf(set, 0);
  await installSupervisor(io);
});

afterAll(async () => {
  await set?.stop();
});

const sh = async (command: string) => {
  const res = await io.run(command);
  if (res.code !== 0) throw new Error(`${command}: ${res.stderr}`);
  return res.stdout.trim();
};
const isAlive = async (pid: number) =>
  (await io.run(`s=$(cat /proc/${pid}/stat 2>/dev/null) || exit 1; case "\${s##*) }" in Z*) exit 1 ;; esac`)).code ===
  0;

/** A unit that prints a line, then sleeps; `tag` changes its arguments (and so its hash). */
const sleeper = (name: string, tag = 'one'): UnitSpec => ({
  name,
  binary: '/bin/sh',
  args: ['-c', 'echo "started $1 $GREETING"; while :; do sleep 1; done', 'sh', tag],
  env: { GREETING: "hi 'there'" },
  files: [{ path: `/etc/corral-test/${name}.conf`, content: `tag=${tag}\n`, mode: 0o600 }],
  hash: `hash-${tag}`,
});

test('installing the supervisor is idempotent', async () => {
  expect(await installSupervisor(io)).toBe(false);
  expect(await sh('cat /opt/rke/bin/corral-supervise')).toBe(SUPERVISE_SCRIPT.trim());
  expect(await sh('stat -c %a /opt/rke/bin/corral-supervise')).toBe('755');
});

describe('a supervised unit', () => {
  test('starts once, writes its files, and logs its output', async () => {
    expect(await applyUnit(io, sleeper('demo'), 'corral')).toBe('started');
    const status = await unitStatus(io, 'demo');
    expect(status).toMatchObject({ running: true, supervised: true, restarts: 0, hash: 'hash-one' });
    expect(await sh('cat /etc/corral-test/demo.conf; stat -c %a /etc/corral-test/demo.conf')).toBe('tag=one\n600');
    await eventually(async () => {
      expect(await sh('cat /var/log/corral/demo.log')).toContain("started one hi 'there'");
    }, 'the unit output in its log');

    // Applying the same spec again touches nothing: same process, same files.
    await sh('echo changed-by-hand > /etc/corral-test/demo.conf');
    expect(await applyUnit(io, sleeper('demo'), 'corral')).toBe('unchanged');
    expect((await unitStatus(io, 'demo')).pid).toBe(status.pid);
    expect(await sh('cat /etc/corral-test/demo.conf')).toBe('changed-by-hand');
    expect(await listUnits(io)).toContain('demo');
  });

  test('keeps running after the shell that started it has exited, in its own session', async () => {
    // applyUnit's command has returned; the supervisor now belongs to the node's init.
    const supervisor = Number(await sh('cat /opt/rke/run/demo.supervisor.pid'));
    const stat = (await sh(`cat /proc/${supervisor}/stat`)).split(') ')[1]!.split(' ');
    expect(Number(stat[1])).toBe(1); // parent: the node's pid 1
    expect(Number(stat[3])).toBe(supervisor); // session leader (setsid)
    const { pid } = await unitStatus(io, 'demo');
    expect(await isAlive(pid!)).toBe(true);
  });

  test('is started again after it is killed, with a new pid and a higher restart count', async () => {
    const before = await unitStatus(io, 'demo');
    await sh(`kill -KILL ${before.pid}`);
    const after = await eventually(async () => {
      const s = await unitStatus(io, 'demo');
      if (!s.running || s.pid === before.pid) throw new Error(`not restarted yet: ${JSON.stringify(s)}`);
      return s;
    }, 'demo to be restarted');
    expect(after.restarts).toBe(before.restarts + 1);
    expect(after.supervised).toBe(true);
    expect(await sh('cat /var/log/corral/demo.log')).toMatch(/demo exited \(status 137\)/);
  });

  test('is restarted when its spec changes, and only then', async () => {
    const before = await unitStatus(io, 'demo');
    expect(await applyUnit(io, sleeper('demo', 'two'), 'corral')).toBe('restarted');
    const after = await unitStatus(io, 'demo');
    expect(after).toMatchObject({ running: true, hash: 'hash-two', restarts: 0 });
    expect(after.pid).not.toBe(before.pid);
    expect(await isAlive(before.pid!)).toBe(false);
    expect(await sh(`tr '\\0' ' ' < /proc/${after.pid}/cmdline`)).toContain(' sh two');
    expect(await sh('cat /etc/corral-test/demo.conf')).toBe('tag=two');
    expect(await applyUnit(io, sleeper('demo', 'two'), 'corral')).toBe('unchanged');
  });

  test('stops cleanly: TERM to the process, supervisor gone, started again by the next apply', async () => {
    const { pid } = await unitStatus(io, 'demo');
    const supervisor = Number(await sh('cat /opt/rke/run/demo.supervisor.pid'));
    await stopUnit(io, 'demo');
    expect(await unitStatus(io, 'demo')).toMatchObject({ running: false, supervised: false });
    expect(await isAlive(pid!)).toBe(false);
    expect(await isAlive(supervisor)).toBe(false);
    expect(await sh('tail -n 1 /var/log/corral/demo.log')).toBe('corral-supervise: demo stopped');
    // Stopped, so not "unchanged" although the spec is the same.
    expect(await applyUnit(io, sleeper('demo', 'two'), 'corral')).toBe('started');
    expect((await unitStatus(io, 'demo')).running).toBe(true);
  });

  test('a process that ignores TERM is killed when the grace period ends', async () => {
    const stubborn: UnitSpec = {
      ...sleeper('stubborn'),
      args: ['-c', 'trap "" TERM; while :; do sleep 1; done'],
      hash: 'stubborn',
    };
    expect(await applyUnit(io, stubborn, 'corral')).toBe('started');
    const { pid } = await unitStatus(io, 'stubborn');
    await stopUnit(io, 'stubborn');
    expect(await isAlive(pid!)).toBe(false);
    expect((await unitStatus(io, 'stubborn')).running).toBe(false);
    await removeUnit(io, 'stubborn');
  });

  test('a process left behind by a killed supervisor is replaced, not duplicated', async () => {
    const { pid } = await unitStatus(io, 'demo');
    await sh('kill -KILL $(cat /opt/rke/run/demo.supervisor.pid)');
    // SIGKILL is delivered asynchronously: the supervisor may take a moment to be gone.
    await eventually(async () => {
      expect(await unitStatus(io, 'demo')).toMatchObject({ supervised: false, running: true, pid });
    }, 'the supervisor to be gone and its process to stay');
    expect(await applyUnit(io, sleeper('demo', 'two'), 'corral')).toBe('started');
    const now = await unitStatus(io, 'demo');
    expect(now).toMatchObject({ supervised: true, running: true });
    expect(await isAlive(pid!)).toBe(false);
  });

  test('removing a unit stops it and forgets it', async () => {
    const { pid } = await unitStatus(io, 'demo');
    await removeUnit(io, 'demo');
    expect(await isAlive(pid!)).toBe(false);
    expect(await listUnits(io)).not.toContain('demo');
    expect(await unitStatus(io, 'demo')).toEqual({ running: false, supervised: false, restarts: 0 });
  });
});

test('the log is rotated past 10 MB, keeping one old file', async () => {
  const chatty: UnitSpec = {
    name: 'chatty',
    binary: '/bin/sh',
    args: ['-c', 'head -c 11000000 /dev/zero | tr "\\0" x; echo; echo after-the-flood; while :; do sleep 1; done'],
    env: {},
    files: [],
    hash: 'chatty',
  };
  expect(await applyUnit(io, chatty, 'corral')).toBe('started');
  await eventually(async () => {
    const sizes = (await sh('wc -c < /var/log/corral/chatty.log; wc -c < /var/log/corral/chatty.log.1')).split('\n');
    if (Number(sizes[1]) < 11_000_000 || Number(sizes[0]) > 1000) throw new Error(`sizes ${sizes.join(' ')}`);
  }, 'the log to be rotated');
  // The process keeps writing to the (truncated) log.
  await stopUnit(io, 'chatty');
  expect(await sh('tail -n 1 /var/log/corral/chatty.log')).toBe('corral-supervise: chatty stopped');
  await removeUnit(io, 'chatty');
});

test('a zombie does not count as running', async () => {
  // `sleep 0` exits and stays a zombie: its parent execs into a sleep that never reaps it.
  const zombie = await sh(
    'sh -c "sleep 0 & exec sleep 30" >/dev/null 2>&1 & p=$!; ' +
      'for i in 1 2 3 4 5 6 7 8 9 10; do z=$(cat /proc/$p/task/$p/children 2>/dev/null); ' +
      '[ -n "$z" ] && grep -q "^[0-9]* ([^)]*) Z" /proc/$z/stat && break; sleep 0.2; done; echo $z',
  );
  const start = SUPERVISE_SCRIPT.indexOf('alive() {');
  const alive = SUPERVISE_SCRIPT.slice(start, SUPERVISE_SCRIPT.indexOf('\n}\n', start) + 3);
  const check = (pid: string) => sh(`${alive}\nalive ${pid} && echo alive || echo dead`);
  expect(await sh(`grep -o ') Z' /proc/${zombie}/stat`)).toBe(') Z');
  expect(await check(zombie.trim())).toBe('dead');
  expect(await check('1')).toBe('alive');
  expect(await check('999999')).toBe('dead');
});
