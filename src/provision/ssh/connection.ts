import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { constants as osConstants, homedir } from 'node:os';
import { posix } from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import ssh2, { type ClientChannel, type ConnectConfig, type SFTPWrapper } from 'ssh2';

// ssh2 is CommonJS: Node's ESM loader cannot see its named exports (vitest's transform can).
const { Client, utils } = ssh2;
type Client = InstanceType<typeof ssh2.Client>;
import { localFileHash, shellQuote } from '../files.js';
import type { NodeIo, RunOptions, RunResult } from '../node-io.js';
import { SshError } from './errors.js';
import {
  appendKnownHost,
  fingerprint,
  hostToken,
  keysForHost,
  keyTypeOf,
  preferredAlgorithms,
  verifyHostKey,
} from './known-hosts.js';

export interface SshConnectOptions {
  host: string;
  /** Default 22. */
  port?: number;
  username: string;
  /** A private key: a file path, or the key itself (OpenSSH or PEM text). */
  privateKey?: string;
  passphrase?: string;
  /** Authenticate with ssh-agent (cluster.yml's `ssh_agent_auth`). */
  useAgent?: boolean;
  /** The agent's socket; default $SSH_AUTH_SOCK. */
  agentSocket?: string;
  /** Default ~/.ssh/known_hosts (a missing file is an empty one). */
  knownHostsPath?: string;
  /** Trust and record a host whose key is not on file yet (never one whose key changed). */
  acceptNewHostKey?: boolean;
  /** How long reaching the host and the whole handshake may take; default 20 s. */
  readyTimeoutMs?: number;
  /** The node's name for messages (e.g. hostname_override), when it differs from `host`. */
  name?: string;
}

export interface SshRunOptions extends RunOptions {
  /** Run as the login user even when commands normally run under sudo (its own temporary files). */
  asLoginUser?: boolean;
}

export interface StreamOptions extends RunOptions {
  /** Output as it arrives (UTF-8 text, in chunks that need not end at line breaks). */
  onStdout?: (text: string) => void;
  onStderr?: (text: string) => void;
}

/** What a streamed command returns: its status, and only the end of its output. */
export interface StreamResult {
  code: number;
  stdoutTail: string;
  stderrTail: string;
}

const DEFAULT_READY_TIMEOUT_MS = 20_000;
/** How much of a streamed command's output is kept for the result and for error messages. */
const TAIL_BYTES = 8 << 10;
const HOST_KEY_ALGORITHMS = [
  'ssh-ed25519',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'rsa-sha2-512',
  'rsa-sha2-256',
  'ssh-rsa',
];

/**
 * One SSH connection to one node: commands, files, uploads. Implements NodeIo, so the provisioner
 * runs the same code over SSH as on a local node.
 */
export class SshConnection implements NodeIo {
  readonly label: string;
  /**
   * Logged in as a user other than root: every command runs under `sudo -n` (RKE's users are
   * not root either; cloud images forbid root logins), and files go through commands, since
   * SFTP runs with the login user's rights.
   */
  private sudo = false;
  private sftpSession: Promise<SFTPWrapper> | undefined;
  private closed = false;
  private lastError: Error | undefined;

  private constructor(
    private readonly client: Client,
    label: string,
  ) {
    this.label = label;
    client.on('error', (err) => {
      this.lastError = err;
    });
    client.on('close', () => {
      this.closed = true;
    });
  }

  /** Connects, verifies the host key against known_hosts and authenticates; throws SshError. */
  static async connect(options: SshConnectOptions): Promise<SshConnection> {
    const port = options.port ?? 22;
    const label = labelOf(options.host, port, options.name);
    const auth = await authConfig(options, label);
    const knownHostsPath = options.knownHostsPath ?? posix.join(homedir(), '.ssh', 'known_hosts');
    const knownHosts = await readFile(knownHostsPath, 'utf8').catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return '';
      throw new SshError('HostKeyUnknown', `cannot read known_hosts ${knownHostsPath}: ${err.message}`, {
        node: label,
        cause: err,
      });
    });
    const preferred = preferredAlgorithms(keysForHost(knownHosts, options.host, port)).filter((a) =>
      HOST_KEY_ALGORITHMS.includes(a),
    );
    const readyTimeoutMs = options.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;

    const client = new Client();
    // Set by the host key check: the handshake then fails with a generic message, replaced by this.
    let hostKeyProblem: SshError | undefined;
    const hostVerifier = (blob: Buffer, verify: (ok: boolean) => void): void => {
      const verdict = verifyHostKey(knownHosts, options.host, port, blob);
      const ident = `${keyTypeOf(blob)} key ${fingerprint(blob)}`;
      if (verdict.kind === 'known') return verify(true);
      if (verdict.kind === 'revoked') {
        hostKeyProblem = new SshError(
          'HostKeyMismatch',
          `${label} presented the ${ident}, which is marked @revoked in ${knownHostsPath} (line ${verdict.entry.line}); refusing to connect.`,
          { node: label },
        );
        return verify(false);
      }
      if (verdict.kind === 'mismatch') {
        const expected = verdict.expected
          .map((e) => `${e.type} ${fingerprint(Buffer.from(e.key, 'base64'))} (line ${e.line})`)
          .join(', ');
        hostKeyProblem = new SshError(
          'HostKeyMismatch',
          `WARNING: the host key of ${label} has CHANGED. It presented the ${ident}, but ${knownHostsPath} ` +
            `expects ${expected}. Someone may be intercepting the connection (man in the middle), or the ` +
            `node was reinstalled. Refusing to connect. If the change is expected, remove the old entry ` +
            `with: ssh-keygen -f ${knownHostsPath} -R '${hostToken(options.host, port)}'`,
          { node: label },
        );
        return verify(false);
      }
      if (!options.acceptNewHostKey) {
        hostKeyProblem = new SshError(
          'HostKeyUnknown',
          `the host key of ${label} is not known: it presented the ${ident}, and ${knownHostsPath} has no ` +
            `entry for '${hostToken(options.host, port)}'. Check the fingerprint on the node ` +
            `(ssh-keygen -lf /etc/ssh/ssh_host_${shortType(blob)}_key.pub), then run again with ` +
            `--accept-new-host-keys, or add it with: ssh-keyscan -p ${port} ${options.host} >> ${knownHostsPath}`,
          { node: label },
        );
        return verify(false);
      }
      appendKnownHost(knownHostsPath, options.host, port, blob).then(
        () => verify(true),
        (err: Error) => {
          hostKeyProblem = new SshError(
            'HostKeyUnknown',
            `cannot record the host key of ${label} in ${knownHostsPath}: ${err.message}`,
            { node: label, cause: err },
          );
          verify(false);
        },
      );
    };

    const config: ConnectConfig = {
      host: options.host,
      port,
      username: options.username,
      readyTimeout: readyTimeoutMs,
      // A node that dies mid-run (power loss, network cut) is noticed within ~45 s rather than never.
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
      hostVerifier,
      ...auth,
    };
    if (preferred.length > 0) {
      config.algorithms = {
        serverHostKey: [...preferred, ...HOST_KEY_ALGORITHMS.filter((a) => !preferred.includes(a))],
      } as ConnectConfig['algorithms'];
    }

    await new Promise<void>((resolve, reject) => {
      const onReady = () => {
        client.off('error', fail).off('close', onClose);
        resolve();
      };
      const onClose = () => fail(new Error('the connection closed during the SSH handshake'));
      function fail(err: Error & { level?: string; code?: string | number }) {
        client.off('ready', onReady).off('error', fail).off('close', onClose);
        client.on('error', () => {}); // late socket errors after giving up must not crash the process
        client.destroy();
        reject(hostKeyProblem ?? connectError(err, label, options, readyTimeoutMs));
      }
      client.once('ready', onReady).on('error', fail).on('close', onClose);
      client.connect(config);
    });
    const conn = new SshConnection(client, label);
    try {
      await conn.checkPrivileges(options.username);
    } catch (err) {
      await conn.close();
      throw err;
    }
    return conn;
  }

  /** Whether commands run through sudo (the login user is not root). */
  get usesSudo(): boolean {
    return this.sudo;
  }

  /** A non-root login must be able to sudo without a password, or nothing could be installed. */
  private async checkPrivileges(username: string): Promise<void> {
    const id = await this.run('id -u');
    if (id.code === 0 && id.stdout.trim() === '0') return;
    this.sudo = true;
    const check = await this.run('id -u');
    if (check.code === 0 && check.stdout.trim() === '0') return;
    const why = check.stderr.trim().split('\n').slice(-1)[0] || `exit ${check.code}`;
    throw new SshError(
      'SudoRefused',
      `${this.label}: user "${username}" is not root and cannot run commands as root with \`sudo -n\` (${why}). ` +
        `Log in as root, or allow the user passwordless sudo on the node, e.g. ` +
        `echo '${username} ALL=(ALL) NOPASSWD: ALL' > /etc/sudoers.d/corral`,
      { node: this.label },
    );
  }

  /** Runs `command` with /bin/sh -c; a non-zero exit is a result, not an error. */
  async run(command: string, options: SshRunOptions = {}): Promise<RunResult> {
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    const code = await this.exec(
      command,
      options,
      (b) => out.push(b),
      (b) => err.push(b),
    );
    return { code, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') };
  }

  /** Like run, but throws SshError 'CommandFailed' (with the exit code and end of stderr) unless it exits 0. */
  async runOk(command: string, options: RunOptions = {}): Promise<RunResult> {
    const result = await this.run(command, options);
    if (result.code !== 0) throw this.commandFailed(command, result.code, result.stderr || result.stdout);
    return result;
  }

  /**
   * For long commands with much output (an etcd restore, a binary's first start): hands output
   * over as it comes and keeps only its end. Never throws for a non-zero exit.
   */
  async stream(command: string, options: StreamOptions = {}): Promise<StreamResult> {
    const out = new Tail();
    const err = new Tail();
    const outText = new StringDecoder('utf8');
    const errText = new StringDecoder('utf8');
    const code = await this.exec(
      command,
      options,
      (b) => {
        out.push(b);
        options.onStdout?.(outText.write(b));
      },
      (b) => {
        err.push(b);
        options.onStderr?.(errText.write(b));
      },
    );
    const outRest = outText.end();
    const errRest = errText.end();
    if (outRest) options.onStdout?.(outRest);
    if (errRest) options.onStderr?.(errRest);
    return { code, stdoutTail: out.text(), stderrTail: err.text() };
  }

  /** Atomically writes a file: a temporary name in the same folder, chmod, then rename over `path`. */
  async writeFile(path: string, content: string | Buffer, mode: number): Promise<void> {
    if (this.sudo) return this.writeFileAsRoot(path, content, mode);
    const sftp = await this.sftp();
    await this.ensureDir(sftp, posix.dirname(path));
    const tmp = temporaryName(path);
    try {
      await sftpCall<void>((cb) => sftp.writeFile(tmp, content, { mode }, cb));
      // The server's umask applies to the mode given at creation; set it exactly.
      await sftpCall<void>((cb) => sftp.chmod(tmp, mode, cb));
      await this.rename(sftp, tmp, path);
    } catch (err) {
      await this.removeQuietly(sftp, tmp);
      throw this.fileError('writing', path, err);
    }
  }

  /** writeFile under sudo: the content on stdin, the same temporary name, chmod and rename. */
  private async writeFileAsRoot(path: string, content: string | Buffer, mode: number): Promise<void> {
    const tmp = shellQuote(temporaryName(path));
    const cmd =
      `umask 077 && mkdir -p -- ${shellQuote(posix.dirname(path))} && cat > ${tmp} && ` +
      `chmod ${mode.toString(8)} ${tmp} && mv -f -- ${tmp} ${shellQuote(path)} || { rm -f -- ${tmp}; exit 1; }`;
    const res = await this.run(cmd, { input: content });
    if (res.code !== 0) throw this.fileError('writing', path, new Error(res.stderr.trim() || `exit ${res.code}`));
  }

  /** The file's content, or null when it does not exist. */
  async readFile(path: string): Promise<Buffer | null> {
    if (this.sudo) {
      // base64: run() hands back text, and files may be binary.
      const q = shellQuote(path);
      const res = await this.run(`if [ -e ${q} ]; then base64 < ${q}; else exit 44; fi`);
      if (res.code === 44) return null;
      if (res.code !== 0) throw this.fileError('reading', path, new Error(res.stderr.trim() || `exit ${res.code}`));
      return Buffer.from(res.stdout.replace(/\s+/g, ''), 'base64');
    }
    const sftp = await this.sftp();
    try {
      return await sftpCall<Buffer>((cb) => sftp.readFile(path, cb));
    } catch (err) {
      if (isNoSuchFile(err)) return null;
      throw this.fileError('reading', path, err);
    }
  }

  /**
   * Copies a local file to the node unless the node already has identical content (same SHA-256);
   * returns whether it copied. Streams, so 150 MB binaries do not pass through memory, and
   * replaces the target atomically, so a running binary is never overwritten in place.
   */
  async upload(localPath: string, remotePath: string, mode: number): Promise<boolean> {
    const localHash = await localFileHash(localPath);
    const sftp = await this.sftp();
    const remote = await this.run(`sha256sum -- ${shellQuote(remotePath)} 2>/dev/null`);
    if (remote.code === 0 && remote.stdout.split(/\s/)[0] === localHash) {
      if (this.sudo) {
        const res = await this.run(`chmod ${mode.toString(8)} -- ${shellQuote(remotePath)}`);
        if (res.code !== 0) throw this.fileError('setting the mode of', remotePath, new Error(res.stderr.trim()));
      } else
        await sftpCall<void>((cb) => sftp.chmod(remotePath, mode, cb)).catch((err: unknown) => {
          throw this.fileError('setting the mode of', remotePath, err);
        });
      return false;
    }
    if (this.sudo) {
      await this.uploadAsRoot(sftp, localPath, remotePath, mode);
      return true;
    }
    await this.ensureDir(sftp, posix.dirname(remotePath));
    const tmp = temporaryName(remotePath);
    try {
      await sftpCall<void>((cb) => sftp.fastPut(localPath, tmp, { mode }, cb));
      await sftpCall<void>((cb) => sftp.chmod(tmp, mode, cb));
      await this.rename(sftp, tmp, remotePath);
    } catch (err) {
      await this.removeQuietly(sftp, tmp);
      throw this.fileError(`uploading ${localPath} to`, remotePath, err);
    }
    return true;
  }

  /**
   * Under sudo, SFTP can write only where the login user may: the file goes to a private folder
   * of the user's, then root copies it next to the target and renames it over (a copy, not a mv:
   * across file systems mv would write the target in place, and a running binary cannot be).
   */
  private async uploadAsRoot(sftp: SFTPWrapper, localPath: string, remotePath: string, mode: number): Promise<void> {
    const staging = await this.run('mktemp -d', { asLoginUser: true });
    if (staging.code !== 0)
      throw this.fileError(`uploading ${localPath} to`, remotePath, new Error(staging.stderr.trim()));
    const dir = staging.stdout.trim();
    const staged = posix.join(dir, posix.basename(remotePath));
    try {
      await sftpCall<void>((cb) => sftp.fastPut(localPath, staged, { mode: 0o600 }, cb));
      const tmp = shellQuote(temporaryName(remotePath));
      const res = await this.run(
        `mkdir -p -- ${shellQuote(posix.dirname(remotePath))} && cp -- ${shellQuote(staged)} ${tmp} && ` +
          `chown 0:0 ${tmp} && chmod ${mode.toString(8)} ${tmp} && mv -f -- ${tmp} ${shellQuote(remotePath)} ` +
          `|| { rm -f -- ${tmp}; exit 1; }`,
        { timeoutMs: 600_000 },
      );
      if (res.code !== 0) throw new Error(res.stderr.trim() || `exit ${res.code}`);
    } catch (err) {
      throw this.fileError(`uploading ${localPath} to`, remotePath, err);
    } finally {
      await this.run(`rm -rf -- ${shellQuote(dir)}`, { asLoginUser: true }).catch(() => {});
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        this.client.destroy();
        resolve();
      }, 5000);
      this.client.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.client.end();
    });
    this.closed = true;
  }

  private exec(
    command: string,
    options: SshRunOptions,
    onStdout: (b: Buffer) => void,
    onStderr: (b: Buffer) => void,
  ): Promise<number> {
    const wrapped = wrapCommand(command, options.timeoutMs, this.sudo && !options.asLoginUser);
    return new Promise((resolve, reject) => {
      if (this.closed) return reject(this.lost(command));
      // The node starts counting after this, so an exit by `timeout` comes at least this late.
      const sentAt = Date.now();
      this.client.exec(wrapped, (err, channel: ClientChannel) => {
        if (err) return reject(this.closed ? this.lost(command) : this.channelError(command, err));
        let exit: number | undefined;
        let settled = false;
        const timers: NodeJS.Timeout[] = [];
        const finish = (outcome: () => void) => {
          if (settled) return;
          settled = true;
          timers.forEach(clearTimeout);
          outcome();
        };
        const timeoutError = () =>
          new SshError(
            'Timeout',
            `${this.label}: \`${shortCommand(command)}\` did not finish within ${options.timeoutMs} ms and was killed`,
            { node: this.label },
          );
        if (options.timeoutMs !== undefined) {
          // The node's `timeout` normally ends it; if the node cannot (no `timeout` command, a
          // process that ignores it), give up on the channel a little later.
          timers.push(
            setTimeout(() => {
              channel.signal('KILL');
              channel.close();
              finish(() => reject(timeoutError()));
            }, options.timeoutMs + 5000),
          );
        }
        channel.on('data', onStdout);
        channel.stderr.on('data', onStderr);
        channel.on('exit', (code: number | null, signal?: string) => {
          // Killed by a signal: report it as a shell would, 128 + its number.
          const name = (signal?.startsWith('SIG') ? signal : `SIG${signal}`) as NodeJS.Signals;
          exit = code ?? 128 + (osConstants.signals[name] ?? 0);
        });
        channel.on('close', () => {
          const late = options.timeoutMs !== undefined && Date.now() - sentAt >= options.timeoutMs;
          if (late && exit === KILLED_BY_TIMEOUT) finish(() => reject(timeoutError()));
          else if (exit === undefined) finish(() => reject(this.lost(command)));
          else finish(() => resolve(exit!));
        });
        channel.end(options.input ?? '');
      });
    });
  }

  private sftp(): Promise<SFTPWrapper> {
    if (!this.sftpSession) {
      const session = new Promise<SFTPWrapper>((resolve, reject) => {
        if (this.closed) return reject(this.lost('sftp'));
        this.client.sftp((err, sftp) => {
          if (err) return reject(this.channelError('sftp', err));
          sftp.on('close', () => {
            if (this.sftpSession === session) this.sftpSession = undefined;
          });
          resolve(sftp);
        });
      });
      this.sftpSession = session;
      session.catch(() => {
        if (this.sftpSession === session) this.sftpSession = undefined;
      });
    }
    return this.sftpSession;
  }

  private async ensureDir(sftp: SFTPWrapper, dir: string): Promise<void> {
    const exists = await sftpCall<unknown>((cb) => sftp.stat(dir, cb)).then(
      () => true,
      () => false,
    );
    if (!exists) await this.runOk(`mkdir -p -- ${shellQuote(dir)}`);
  }

  /** Replaces `to` atomically (OpenSSH's posix-rename; plain SFTP rename refuses an existing target). */
  private async rename(sftp: SFTPWrapper, from: string, to: string): Promise<void> {
    try {
      await sftpCall<void>((cb) => sftp.ext_openssh_rename(from, to, cb));
    } catch {
      await this.runOk(`mv -f -- ${shellQuote(from)} ${shellQuote(to)}`);
    }
  }

  private async removeQuietly(sftp: SFTPWrapper, path: string): Promise<void> {
    await sftpCall<void>((cb) => sftp.unlink(path, cb)).catch(() => {});
  }

  private commandFailed(command: string, code: number, output: string): SshError {
    const tail = tailLines(output, 20);
    return new SshError(
      'CommandFailed',
      `${this.label}: \`${shortCommand(command)}\` failed with exit code ${code}${tail ? `:\n${tail}` : ''}`,
      { node: this.label, exitCode: code, stderrTail: tail },
    );
  }

  private fileError(action: string, path: string, err: unknown): SshError {
    if (err instanceof SshError) return err;
    if (this.closed) return this.lost(`${action} ${path}`);
    const reason = err instanceof Error ? err.message : String(err);
    return new SshError('CommandFailed', `${this.label}: ${action} ${path} failed: ${reason}`, {
      node: this.label,
      cause: err,
    });
  }

  private channelError(what: string, err: Error): SshError {
    return new SshError(
      'Unreachable',
      `${this.label}: cannot open an SSH session for \`${shortCommand(what)}\`: ${err.message}`,
      { node: this.label, cause: err },
    );
  }

  private lost(what: string): SshError {
    const why = this.lastError ? ` (${this.lastError.message})` : '';
    return new SshError(
      'Unreachable',
      `${this.label}: the SSH connection was lost${why} while running \`${shortCommand(what)}\`; check that the node is up and reachable`,
      { node: this.label, cause: this.lastError },
    );
  }
}

/** What `timeout -s KILL` exits with: 128 + SIGKILL. */
const KILLED_BY_TIMEOUT = 137;

/**
 * The command as sent: always /bin/sh (the remote user's login shell, bash or zsh, would otherwise
 * interpret it) and, with a time limit, under the node's `timeout`, which kills the command's whole
 * process group; an SSH "signal" request would reach only the shell, and OpenSSH ignores it anyway.
 */
function wrapCommand(command: string, timeoutMs: number | undefined, sudo: boolean): string {
  const sh = `/bin/sh -c ${shellQuote(command)}`;
  let wrapped = sh;
  if (timeoutMs !== undefined) {
    const seconds = Math.max(timeoutMs / 1000, 0.001).toFixed(3);
    wrapped = `if command -v timeout >/dev/null 2>&1; then exec timeout -s KILL ${seconds} ${sh}; else exec ${sh}; fi`;
  }
  // `timeout` runs inside sudo: as the login user it could not kill root's processes.
  return sudo ? `exec sudo -n -- /bin/sh -c ${shellQuote(wrapped)}` : wrapped;
}

function labelOf(host: string, port: number, name: string | undefined): string {
  const where = port === 22 ? host : `${host}:${port}`;
  return name && name !== host ? `${where} (${name})` : where;
}

/** Turns the key options into ssh2's, failing early and clearly when no usable key is there. */
async function authConfig(options: SshConnectOptions, label: string): Promise<Partial<ConnectConfig>> {
  const config: Partial<ConnectConfig> = {};
  if (options.useAgent) {
    const socket = options.agentSocket ?? process.env.SSH_AUTH_SOCK;
    if (!socket) {
      throw new SshError(
        'KeyUnreadable',
        `${label}: ssh_agent_auth is on but SSH_AUTH_SOCK is not set: start ssh-agent and add the key (ssh-add), or turn ssh_agent_auth off and set ssh_key_path`,
        { node: label },
      );
    }
    config.agent = socket;
  }
  if (options.privateKey) {
    const inline = /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(options.privateKey);
    const where = inline ? 'the inline ssh_key' : options.privateKey;
    let key: Buffer;
    try {
      key = inline ? Buffer.from(options.privateKey) : await readFile(options.privateKey);
    } catch (err) {
      throw new SshError(
        'KeyUnreadable',
        `${label}: cannot read the SSH private key ${where}: ${(err as Error).message}; fix ssh_key_path in cluster.yml`,
        { node: label, cause: err },
      );
    }
    const parsed = utils.parseKey(key, options.passphrase);
    if (parsed instanceof Error) {
      const encrypted = /encrypted|passphrase/i.test(parsed.message);
      const hint = encrypted
        ? 'it is protected by a passphrase: load it into ssh-agent (ssh-add) and set ssh_agent_auth: true'
        : 'it must be an unencrypted private key in OpenSSH or PEM format';
      throw new SshError(
        'KeyUnreadable',
        `${label}: cannot use the SSH private key ${where}: ${parsed.message}; ${hint}`,
        {
          node: label,
          cause: parsed,
        },
      );
    }
    config.privateKey = key;
    if (options.passphrase) config.passphrase = options.passphrase;
  }
  if (!config.agent && !config.privateKey) {
    throw new SshError(
      'KeyUnreadable',
      `${label}: no SSH key given: set ssh_key_path (or ssh_key, or ssh_agent_auth)`,
      {
        node: label,
      },
    );
  }
  return config;
}

function connectError(
  err: Error & { level?: string; code?: string | number },
  label: string,
  options: SshConnectOptions,
  readyTimeoutMs: number,
): SshError {
  const port = options.port ?? 22;
  const details = { node: label, cause: err };
  if (err.level === 'client-authentication') {
    const how = options.useAgent ? 'the keys in ssh-agent' : `the key ${describeKey(options.privateKey)}`;
    return new SshError(
      'AuthFailed',
      `${label}: user '${options.username}' was refused with ${how}. Check that the matching public key is in ` +
        `~${options.username}/.ssh/authorized_keys on the node, and the node's user and ssh_key_path in cluster.yml.`,
      details,
    );
  }
  if (err.level === 'client-timeout' || err.code === 'ETIMEDOUT') {
    return new SshError(
      'Timeout',
      `${label}: no SSH handshake within ${readyTimeoutMs} ms. Check the address and port (${port}), that sshd ` +
        `runs on the node and that no firewall drops the connection.`,
      details,
    );
  }
  const reasons: Record<string, string> = {
    ECONNREFUSED: `nothing accepts connections on port ${port} (connection refused): is sshd running, and is the port right?`,
    EHOSTUNREACH: 'no route to the host (host unreachable): is the node up, and is the address right?',
    ENETUNREACH: 'no route to its network (network unreachable): check the address',
    ENOTFOUND: 'the name does not resolve: check the address',
    EAI_AGAIN: 'the name does not resolve (DNS did not answer): check the address',
    ECONNRESET: 'the connection was reset: is it an SSH server on that port?',
  };
  const reason = (typeof err.code === 'string' && reasons[err.code]) || err.message;
  return new SshError('Unreachable', `${label}: cannot connect over SSH: ${reason}`, details);
}

function describeKey(privateKey: string | undefined): string {
  if (!privateKey) return '(none)';
  return /-----BEGIN/.test(privateKey) ? 'given inline (ssh_key)' : privateKey;
}

function shortType(blob: Buffer): string {
  const type = keyTypeOf(blob);
  if (type === 'ssh-ed25519') return 'ed25519';
  if (type.startsWith('ecdsa-')) return 'ecdsa';
  if (type === 'ssh-rsa') return 'rsa';
  return '*';
}

function shortCommand(command: string): string {
  const oneLine = command.replace(/\s+/g, ' ').trim();
  return oneLine.length > 120 ? `${oneLine.slice(0, 117)}...` : oneLine;
}

function tailLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

function temporaryName(path: string): string {
  return posix.join(posix.dirname(path), `.${posix.basename(path)}.corral-${randomBytes(4).toString('hex')}`);
}

function isNoSuchFile(err: unknown): boolean {
  // SSH_FX_NO_SUCH_FILE
  return (err as { code?: unknown } | null)?.code === 2;
}

function sftpCall<T>(call: (cb: (err: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => call((err, value) => (err ? reject(err) : resolve(value))));
}

/** Keeps the last TAIL_BYTES of a stream. */
class Tail {
  private chunks: Buffer[] = [];
  private size = 0;
  push(b: Buffer): void {
    this.chunks.push(b);
    this.size += b.length;
    while (this.size - (this.chunks[0]?.length ?? 0) >= TAIL_BYTES) this.size -= this.chunks.shift()!.length;
  }
  text(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - TAIL_BYTES)).toString('utf8');
  }
}
