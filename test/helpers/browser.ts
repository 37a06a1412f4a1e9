import { execFileSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { onTestFinished } from 'vitest';
import { packageRoot } from '../../src/util/package-root.js';
import { adminToken, startTestServer, type TestServer, type TestServerOptions } from './server.js';

export const CHROMIUM_PATH = '/usr/bin/chromium';

// Flags for a quiet, reproducible headless Chromium on a shared CI box: no sandbox (runs as
// root in containers), no GPU, and nothing that phones home or updates in the background.
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface LaunchedBrowser {
  browser: Browser;
  /** A fresh context that accepts the test server's self-signed certificate. */
  context: BrowserContext;
  /** A first page in that context. */
  page: Page;
  /** Uncaught page errors and console errors seen so far, in every page of the context. */
  errors: string[];
  close(): Promise<void>;
}

export interface LaunchOptions {
  /** Leave closing to the caller (use it from beforeAll); by default it closes when the test ends. */
  manual?: boolean;
  /** Base URL for relative `page.goto('/...')`. */
  baseURL?: string;
}

/**
 * Starts the system Chromium headless. Playwright's `launch` gives every browser its own
 * throwaway profile folder, so no state leaks between tests.
 *
 * Chromium aborts requests in flight with net::ERR_NETWORK_CHANGED whenever an interface or
 * address of its network namespace changes, and other tests on this machine create and remove
 * bridges and veth pairs all the time. So, where the machine allows it, Chromium runs in a
 * network namespace of its own (only loopback, which never changes) and reaches this one through
 * a CONNECT proxy over a Unix socket: every byte still goes to the real server, only the route
 * differs. Loopback destinations only: a test browser has no business elsewhere.
 */
export async function launchBrowser(opts: LaunchOptions = {}): Promise<LaunchedBrowser> {
  const isolation = canIsolateNetwork() ? await isolatedNetwork() : undefined;
  let browser: Browser;
  try {
    browser = await chromium.launch({
      executablePath: isolation?.executable ?? CHROMIUM_PATH,
      args: [...CHROMIUM_ARGS, ...(isolation?.args ?? [])],
    });
  } catch (err) {
    await isolation?.close();
    throw err;
  }
  browser.on('disconnected', () => void isolation?.close());
  const context = await browser.newContext({ ignoreHTTPSErrors: true, baseURL: opts.baseURL });
  const errors: string[] = [];
  context.on('page', (p) => watchErrors(p, errors));
  const page = await context.newPage();
  const launched: LaunchedBrowser = {
    browser,
    context,
    page,
    errors,
    close: () => browser.close(),
  };
  if (!opts.manual) onTestFinished(() => launched.close());
  return launched;
}

let isolationWorks: boolean | undefined;

/** Whether this process may create a network namespace (root, or unprivileged user namespaces). */
function canIsolateNetwork(): boolean {
  // CORRAL_TEST_BROWSER_NETNS=0 turns it off, to tell a routing problem from a real one.
  if (process.env.CORRAL_TEST_BROWSER_NETNS === '0') return false;
  if (isolationWorks === undefined) {
    try {
      execFileSync('unshare', ['--net', '--', 'ip', 'link', 'set', 'lo', 'up'], { stdio: 'ignore' });
      isolationWorks = true;
    } catch {
      isolationWorks = false;
    }
  }
  return isolationWorks;
}

/** Port of the in-namespace end of the proxy; the namespace is private, so any port will do. */
const INNER_PROXY_PORT = 3128;

// Runs inside the new namespace: brings loopback up, relays 127.0.0.1:<port> to the Unix socket,
// then runs Chromium with every descriptor passed on (Playwright drives it over fds 3 and 4).
const INNER = `
import { execFileSync, spawn } from 'node:child_process';
import { connect, createServer } from 'node:net';
const [sock, port, exe, ...args] = process.argv.slice(2);
execFileSync('ip', ['link', 'set', 'lo', 'up']);
createServer((c) => {
  const u = connect(sock);
  c.pipe(u);
  u.pipe(c);
  c.on('error', () => u.destroy());
  u.on('error', () => c.destroy());
}).listen(Number(port), '127.0.0.1', () => {
  const child = spawn(exe, args, { stdio: ['inherit', 'inherit', 'inherit', 'inherit', 'inherit'] });
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  for (const s of ['SIGTERM', 'SIGINT', 'SIGHUP']) process.on(s, () => child.kill(s));
});
`;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

async function isolatedNetwork(): Promise<{ executable: string; args: string[]; close(): Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'corral-browser-'));
  const sock = join(dir, 'proxy.sock');
  const sockets = new Set<Socket>();
  const proxy = createHttpServer((_req, res) => {
    res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('the test proxy only tunnels (CONNECT) to loopback\n');
  });
  proxy.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  proxy.on('connect', (req, client: Socket, head: Buffer) => {
    const target = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(req.url ?? '');
    if (!target || !LOOPBACK.has(target[1]!)) {
      client.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\n\r\n');
      return;
    }
    const upstream = connect(Number(target[2]), target[1]!.replace(/^\[|\]$/g, ''), () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => client.destroy());
    client.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve, reject) => proxy.once('error', reject).listen(sock, resolve));
  const inner = join(dir, 'inner.mjs');
  const executable = join(dir, 'chromium');
  await writeFile(inner, INNER);
  await writeFile(
    executable,
    `#!/bin/sh\nexec unshare --net -- '${process.execPath}' '${inner}' '${sock}' ${INNER_PROXY_PORT} '${CHROMIUM_PATH}' "$@"\n`,
  );
  await chmod(executable, 0o755);
  let closed = false;
  return {
    executable,
    // Loopback is normally never proxied; here it must be, since the namespace's own is empty.
    args: [`--proxy-server=http://127.0.0.1:${INNER_PROXY_PORT}`, '--proxy-bypass-list=<-loopback>'],
    async close() {
      if (closed) return;
      closed = true;
      for (const s of sockets) s.destroy();
      await new Promise((r) => proxy.close(r));
      await rm(dir, { recursive: true, force: true });
    },
  };
}

function watchErrors(page: Page, errors: string[]): void {
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
}

/** Saves a full-page PNG to artifacts/screenshots/<name>.png and returns its path. */
export async function screenshot(page: Page, name: string): Promise<string> {
  const dir = join(packageRoot(), 'artifacts', 'screenshots');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${name.replace(/[^\w.-]+/g, '_')}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

export interface UiServer {
  server: TestServer;
  url: string;
  /** A Bearer token of the bootstrap admin, whose password was already changed. */
  adminToken: string;
  adminUsername: string;
  adminPassword: string;
}

export const UI_ADMIN_PASSWORD = 'admin-password-changed-1';

/**
 * Starts a real Corral server (the built executable) and gets the bootstrap admin past the
 * forced password change, so a browser can sign in as `admin` / UI_ADMIN_PASSWORD.
 */
export async function startUiServer(opts: TestServerOptions = {}): Promise<UiServer> {
  const server = await startTestServer(opts);
  const token = await adminToken(server, UI_ADMIN_PASSWORD);
  return { server, url: server.url, adminToken: token, adminUsername: 'admin', adminPassword: UI_ADMIN_PASSWORD };
}

/**
 * Signs the browser context in without going through the login page: a cookie login
 * (`responseType: cookie`) whose R_SESS and CSRF cookies are put into the context, exactly as the
 * browser would have stored them.
 */
export async function signIn(context: BrowserContext, server: TestServer, username: string, password: string) {
  const r = await server.call('/v3-public/localProviders/local?action=login', {
    body: { username, password, responseType: 'cookie' },
  });
  if (r.status !== 200) throw new Error(`cookie login as ${username} failed: ${r.status} ${r.text}`);
  const setCookie = r.headers['set-cookie'];
  const lines = Array.isArray(setCookie) ? setCookie : setCookie ? [setCookie] : [];
  const cookies = lines.map((line) => {
    const pair = line.split(';')[0] ?? '';
    const i = pair.indexOf('=');
    return {
      name: pair.slice(0, i).trim(),
      value: pair.slice(i + 1).trim(),
      url: server.url,
      secure: true,
      httpOnly: /;\s*httponly/i.test(line),
      sameSite: 'Lax' as const,
    };
  });
  await context.addCookies(cookies);
}
