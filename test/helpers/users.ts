import { execFile } from 'node:child_process';
import { rename, rm, writeFile } from 'node:fs/promises';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/**
 * A login user on this machine, which the test nodes share (/etc is not private to a node): for
 * `corral up` as a non-root user, as RKE's operators log in. `sudo: true` gives it passwordless
 * sudo through its own file in /etc/sudoers.d; without, it has no sudo rights at all.
 */
export async function ensureUser(name: string, opts: { sudo: boolean }): Promise<void> {
  const exists = () =>
    execFileP('id', ['-u', name]).then(
      () => true,
      () => false,
    );
  // Test files run in parallel and may both add it: losing that race is fine.
  if (!(await exists()))
    await execFileP('useradd', ['--no-create-home', '--shell', '/bin/sh', name]).catch(async (err: unknown) => {
      if (!(await exists())) throw err;
    });
  // The account has no password; sshd (UsePAM no) refuses a locked one, so unlock it without one.
  await execFileP('usermod', ['-p', '*', name]);
  const sudoers = `/etc/sudoers.d/corral-test-${name}`;
  if (opts.sudo) {
    // Written aside and renamed: sudo (or a parallel test) never reads it half written.
    const tmp = `${sudoers}.${process.pid}.tmp`;
    await writeFile(tmp, `${name} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
    await execFileP('visudo', ['-c', '-f', tmp]);
    await rename(tmp, sudoers);
  } else await rm(sudoers, { force: true });
}
