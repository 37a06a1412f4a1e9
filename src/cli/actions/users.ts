import { bodyFromFlags, createFlags } from '../schema-flags.js';
import { USER_CREATE_OMIT } from '../users.js';
import { user as userType } from '../../schema/types/user.js';
import { askSecret, readStdin } from '../prompt.js';
import { UsageError } from '../usage-error.js';
import { USER_COLUMNS, listOut, objectOut, resolveUserId, say, session, type Opts, type Row } from './common.js';

async function newPassword(opts: Opts, what: string): Promise<string> {
  if (opts.passwordStdin) return readStdin();
  if (!process.stdin.isTTY) throw new UsageError('no terminal to ask the password on: use --password-stdin');
  const first = await askSecret(`${what}: `);
  const again = await askSecret(`${what} (again): `);
  if (first !== again) throw new Error('the passwords do not match');
  return first;
}

export async function usersLs(_a: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  listOut(await s.conn.list<Row>(userType), USER_COLUMNS, opts);
}

export async function usersCreate([username]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const password = await newPassword(opts, `Password for ${username}`);
  const body: Row = { username, password };
  if (opts.displayName) body.name = opts.displayName;
  Object.assign(body, bodyFromFlags(createFlags(userType, USER_CREATE_OMIT), opts));
  objectOut(await s.conn.create<Row>(userType, body), USER_COLUMNS, opts);
}

async function setEnabled(ref: unknown, opts: Opts, enabled: boolean) {
  const s = await session(opts);
  const id = await resolveUserId(s.conn, String(ref));
  await s.conn.update(userType, id, { enabled });
  say(`${enabled ? 'Enabled' : 'Disabled'} user ${ref} (${id}).`);
}

export const usersDisable = ([ref]: unknown[], opts: Opts) => setEnabled(ref, opts, false);
export const usersEnable = ([ref]: unknown[], opts: Opts) => setEnabled(ref, opts, true);

export async function usersPasswd([ref]: unknown[], opts: Opts): Promise<void> {
  const s = await session(opts);
  const id = ref === undefined ? undefined : await resolveUserId(s.conn, String(ref));
  if (id && id !== s.server.userId) {
    const pw = await newPassword(opts, `New password for ${ref}`);
    await s.conn.action(userType, id, 'setpassword', { newPassword: pw });
    say(`Set the password of ${ref}.`);
    return;
  }
  let currentPassword: string;
  let pw: string;
  if (opts.passwordStdin) {
    const lines = (await readStdin()).split(/\r?\n/);
    if (lines.length < 2)
      throw new UsageError('with --password-stdin, give the current and the new password on two lines');
    [currentPassword, pw] = [lines[0]!, lines[1]!];
  } else {
    if (!process.stdin.isTTY) throw new UsageError('no terminal to ask the passwords on: use --password-stdin');
    currentPassword = await askSecret('Current password: ');
    pw = await newPassword(opts, 'New password');
  }
  await s.conn.action(userType, undefined, 'changepassword', { currentPassword, newPassword: pw });
  say('Password changed.');
}
