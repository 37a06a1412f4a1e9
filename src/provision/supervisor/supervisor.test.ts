import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parseStatus, runScript, systemdUnit, type UnitSpec } from './index.js';
import { SUPERVISE_SCRIPT } from './script.js';

const unit = (over: Partial<UnitSpec> = {}): UnitSpec => ({
  name: 'demo',
  binary: '/bin/sh',
  args: [],
  env: {},
  files: [],
  hash: 'h',
  ...over,
});

describe('runScript', () => {
  test('passes every argument and environment value through sh unchanged', () => {
    const tricky = ["it's", 'a "quoted" word', '$HOME `id` $(id)', 'back\\slash', 'two\nlines', '', '*', '--x=a b'];
    const script = runScript(
      unit({
        // $0 is "sh"; the rest are the arguments as the program sees them.
        args: ['-c', 'for a in "$@"; do printf "<%s>\\n" "$a"; done; printf "[%s]" "$GREETING"', 'sh', ...tricky],
        env: { GREETING: "hello 'world' $USER" },
      }),
    );
    const dir = mkdtempSync(join(tmpdir(), 'corral-run-'));
    const path = join(dir, 'demo.run');
    writeFileSync(path, script);
    const out = execFileSync('sh', [path], { encoding: 'utf8', env: { PATH: process.env.PATH } });
    expect(out).toBe(tricky.map((a) => `<${a}>\n`).join('') + "[hello 'world' $USER]");
    expect(script).toContain('# binary: /bin/sh');
  });

  test('refuses names and environment variables that are not plain', () => {
    expect(() => runScript(unit({ name: '../etc/x' }))).toThrow(/bad unit name/);
    expect(() => runScript(unit({ env: { 'A B': 'x' } }))).toThrow(/environment name/);
  });
});

test('the systemd unit runs the same start script, restarts always and never gives up', () => {
  const text = systemdUnit(unit({ name: 'etcd' }));
  expect(text).toContain('ExecStart=/bin/sh /opt/rke/units/etcd.run');
  expect(text).toContain('Restart=always');
  expect(text).toContain('RestartSec=2');
  expect(text).toContain('StartLimitIntervalSec=0');
});

test('parseStatus reads the supervisor status line', () => {
  expect(parseStatus('supervised=1 running=1 pid=42 restarts=3 hash=abc\n')).toEqual({
    supervised: true,
    running: true,
    pid: 42,
    restarts: 3,
    hash: 'abc',
  });
  expect(parseStatus('')).toEqual({ supervised: false, running: false, restarts: 0 });
});

test('the supervisor script is POSIX sh that dash accepts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-sup-'));
  const path = join(dir, 'corral-supervise');
  writeFileSync(path, SUPERVISE_SCRIPT);
  // -n: parse only. dash has none of bash's extensions, so bash-isms fail here.
  execFileSync('dash', ['-n', path]);
  expect(SUPERVISE_SCRIPT.startsWith('#!/bin/sh\n')).toBe(true);
});

test('the supervisor script runs without calling anything undefined', () => {
  const dir = mkdtempSync(join(tmpdir(), 'corral-sup-'));
  const path = join(dir, 'corral-supervise');
  writeFileSync(path, SUPERVISE_SCRIPT);
  // Stop and status of a unit that does not exist walk the helpers (pid files, systemd check)
  // without changing anything; a missing function shows up as "not found" on stderr.
  for (const args of [['--stop', 'corral-test-none'], ['--status', 'corral-test-none'], ['--list']]) {
    const r = spawnSync('dash', [path, ...args], { encoding: 'utf8' });
    expect(r.stderr, args.join(' ')).not.toMatch(/not found/);
    expect(r.status, args.join(' ')).toBe(0);
  }
});
