#!/usr/bin/env node
// `npm test`: builds what the tests need, runs the static checks and the test suite, and ends
// with one line "N passed, N failed" that counts every check and every test.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
let passed = 0;
let failed = 0;
const failures = [];

function run(label, command, args, { counts = true } = {}) {
  const t0 = Date.now();
  console.log(`\n=== ${label}`);
  const result = spawnSync(command, args, { cwd: root, stdio: 'inherit' });
  const ok = result.status === 0;
  console.log(`=== ${label}: ${ok ? 'ok' : 'FAILED'} (${((Date.now() - t0) / 1000).toFixed(1)}s)`);
  if (counts) {
    if (ok) passed++;
    else {
      failed++;
      failures.push(label);
    }
  }
  return ok;
}

const npx = (bin, ...args) => ['npx', ['--no-install', bin, ...args]];

// The binaries are a prerequisite, not a check: without them the suite cannot say anything.
if (!run('build Kubernetes binaries (npm run k8s:build)', 'bash', ['tools/k8s/build.sh'], { counts: false })) {
  console.log('\n0 passed, 1 failed');
  process.exit(1);
}
// The container runtime for real worker nodes (containerd, runc, CNI, ...): only the runtime test
// needs it, so a failed build fails that test (it says what is missing), not the whole suite.
run('build container runtime (npm run runtime:build)', 'bash', ['tools/runtime/build.sh'], { counts: false });
// The OpenID provider the single sign-on tests log in through; only those tests need it.
run('build identity providers (npm run sso:build)', 'bash', ['tools/sso/build.sh'], { counts: false });
// mailpit, the real SMTP server of the notifier tests: only those tests need it.
run('build monitoring test parts (npm run monitoring:build)', 'bash', ['tools/monitoring/build.sh'], { counts: false });
run('typecheck (tsc)', ...npx('tsc', '-p', 'tsconfig.json'));
run('typecheck web UI (tsc -p ui)', ...npx('tsc', '-p', 'ui/tsconfig.json'));
const built = run('build (tsc -p tsconfig.build.json)', ...npx('tsc', '-p', 'tsconfig.build.json'));
// The browser tests load the real built UI from ui/dist; `npm run build` itself stays tsc only.
run('build web UI (vite build)', ...npx('vite', 'build', '--config', 'ui/vite.config.ts'));
run('lint (eslint)', ...npx('eslint', '.'));
run('format (prettier --check)', ...npx('prettier', '--check', '.'));

if (built) {
  const reportDir = mkdtempSync(join(tmpdir(), 'corral-vitest-'));
  const report = join(reportDir, 'report.json');
  run(
    'tests (vitest)',
    ...npx(
      'vitest',
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${report}`,
      ...process.argv.slice(2),
    ),
    { counts: false },
  );
  try {
    const results = JSON.parse(readFileSync(report, 'utf8'));
    passed += results.numPassedTests;
    failed += results.numFailedTests;
    // A file that fails to load has no tests to count; it is still a failure.
    for (const file of results.testResults) {
      if (file.status === 'failed' && file.assertionResults.every((a) => a.status !== 'failed')) {
        failed++;
        failures.push(`${file.name}: ${file.message.split('\n')[0]}`);
      }
      for (const a of file.assertionResults) if (a.status === 'failed') failures.push(a.fullName);
    }
    if (results.numPendingTests || results.numTodoTests) {
      failed += results.numPendingTests + results.numTodoTests;
      failures.push(`${results.numPendingTests + results.numTodoTests} skipped or todo tests (not allowed)`);
    }
  } catch (err) {
    failed++;
    failures.push(`vitest produced no report: ${err.message}`);
  }
  rmSync(reportDir, { recursive: true, force: true });
} else {
  failed++;
  failures.push('tests not run: the build failed');
}

if (failures.length) console.log(`\nFailed:\n${failures.map((f) => `  - ${f}`).join('\n')}`);
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
