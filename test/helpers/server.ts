import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { CORRAL_BIN } from './cli.js';
import { testDir } from './control-plane.js';
import { httpsCall, type HttpResponse, type RequestOptions } from './http.js';
import { V3Client } from '../../src/client/v3-client.js';
import { freePort } from '../../src/localcluster/ports.js';
import { pollUntil } from '../../src/util/poll.js';

export const ADMIN_PASSWORD = 'admin-password-for-tests';

export interface TestServerOptions {
  dataDir?: string;
  port?: number;
  /** Extra flags for `corral server`. */
  args?: string[];
  env?: NodeJS.ProcessEnv;
  /** Default: a fixed bootstrap password, so tests can log in. Pass null for a generated one. */
  bootstrapPassword?: string | null;
  /** Leave stopping to the caller (for kill -9 tests). */
  manual?: boolean;
  /** The CA to trust when the server was given --tls-cert (default: the one it generated). */
  ca?: string;
}

export interface TestServer {
  url: string;
  port: number;
  dataDir: string;
  ca: string;
  process: ChildProcess;
  stdout(): string;
  stderr(): string;
  call(path: string, opts?: RequestOptions): Promise<HttpResponse>;
  /** The shared v3 client for this server, trusting its CA, with a token or none. */
  client(token?: string): V3Client;
  /** Logs in and returns the session token. */
  login(username: string, password: string): Promise<string>;
  stop(): Promise<number | null>;
  kill9(): Promise<void>;
}

/** Runs the real built `corral server` executable on a free loopback port and waits until it serves. */
export async function startTestServer(opts: TestServerOptions = {}): Promise<TestServer> {
  const dataDir = opts.dataDir ?? (await testDir('server'));
  const port = opts.port ?? (await freePort());
  const env: NodeJS.ProcessEnv = { ...process.env, ...opts.env };
  delete env.CORRAL_BOOTSTRAP_PASSWORD;
  if (opts.bootstrapPassword !== null) env.CORRAL_BOOTSTRAP_PASSWORD = opts.bootstrapPassword ?? ADMIN_PASSWORD;
  const child = spawn(
    process.execPath,
    [CORRAL_BIN, 'server', '--data-dir', dataDir, '--listen', `127.0.0.1:${port}`, ...(opts.args ?? [])],
    { env, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let exitCode: number | null | undefined;
  void exited.then((c) => (exitCode = c));
  const url = `https://127.0.0.1:${port}`;
  try {
    await pollUntil(
      async () => {
        if (!out.includes('is serving')) throw new Error('not serving yet');
      },
      {
        what: 'corral server to serve',
        timeoutMs: 30_000,
        intervalMs: 20,
        abortIf: () => {
          if (exitCode !== undefined) throw new Error(`corral server exited with ${exitCode}:\n${err}`);
        },
      },
    );
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  const ca = opts.ca ?? (await readFile(join(dataDir, 'tls', 'ca.crt'), 'utf8'));
  const server: TestServer = {
    url,
    port,
    dataDir,
    ca,
    process: child,
    stdout: () => out,
    stderr: () => err,
    call: (path, o) => httpsCall(url, ca, path, o),
    client: (token) => new V3Client({ url, ca, token, timeoutMs: 0 }),
    async login(username, password) {
      return (await server.client().login(username, password)).token;
    },
    async stop() {
      if (exitCode !== undefined) return exitCode;
      child.kill('SIGTERM');
      return exited;
    },
    async kill9() {
      if (exitCode !== undefined) return;
      child.kill('SIGKILL');
      await exited;
    },
  };
  if (!opts.manual) onTestFinished(() => server.kill9());
  return server;
}

/** Logs in as the bootstrap admin and sets a new password, returning a usable admin token. */
export async function adminToken(server: TestServer, newPassword = 'admin-password-changed-1'): Promise<string> {
  const first = await server.login('admin', ADMIN_PASSWORD);
  await server.client(first).action('users', undefined, 'changepassword', {
    currentPassword: ADMIN_PASSWORD,
    newPassword,
  });
  return first;
}
