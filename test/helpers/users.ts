import { execFile } from 'node:child_process';
import { writeFile, rm } from 'node:fs/promises';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/**
 * A login user on this machine, which the test nodes share (/etc is not private to a node): for
 * `corral up` as a non-root user, as RKE's operators log in. `sudo: true` gives it passwordless
 * sudo through its own file in /etc/sudoers.d; without, it has no sudo rights at all.
 */
export async function ensureUser(name: string, opts: { sudo: boolean }): Promise<void> {
  const exists = await execFileP('id', ['-u', name]).then(
    () => true,
    () => false,
  );
  if (!exists) await execFileP('useradd', ['--no-create-home', '--shell', '/bin/sh', name]);
  // The account has no password; sshd (UsePAM no) refuses a locked one, so unlock it without one.
  await execFileP('usermod', ['-p', '*', name]);
  const sudoers = `/etc/sudoers.d/corral-test-${name}`;
  if (opts.sudo) {
    await writeFile(sudoers, `${name} ALL=(ALL) NOPASSWD: ALL\n`, { mode: 0o440 });
    await execFileP('visudo', ['-c', '-f', sudoers]);
  } else await rm(sudoers, { force: true });
}
