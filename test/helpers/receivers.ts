import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { onTestFinished } from 'vitest';
import { freePort } from '../../src/localcluster/ports.js';
import { packageRoot } from '../../src/util/package-root.js';
import { pollUntil } from '../../src/util/poll.js';
import { testDir } from './control-plane.js';
import { servingCertFiles } from './tls-files.js';

/** A test CA with a loopback serving certificate (tls-files.ts), its PEM in a file for NODE_EXTRA_CA_CERTS. */
export async function loopbackTls() {
  const files = await servingCertFiles();
  const caFile = join(dirname(files.cert), 'ca.crt');
  await writeFile(caFile, files.caPem);
  return {
    caFile,
    certFile: files.cert,
    keyFile: files.key,
    cert: await readFile(files.cert, 'utf8'),
    key: await readFile(files.key, 'utf8'),
  };
}

export interface Received {
  path: string;
  at: number;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown>;
}

/** An HTTPS endpoint recording every JSON POST (a Slack, Teams, PagerDuty or webhook receiver). */
export async function httpsReceiver(tls: { cert: string; key: string }, status = (_path: string) => 200) {
  const got: Received[] = [];
  const server: Server = createServer({ cert: tls.cert, key: tls.key }, (req, res) => {
    let raw = '';
    req.on('data', (c: Buffer) => (raw += c.toString()));
    req.on('end', () => {
      const path = req.url ?? '/';
      let body: Record<string, unknown>;
      try {
        body = JSON.parse(raw) as Record<string, unknown>;
      } catch {
        body = { unparsable: raw };
      }
      got.push({ path, at: Date.now(), headers: req.headers, body });
      res.writeHead(status(path), { 'content-type': 'application/json' }).end('{"status":"success"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, got };
}

export interface Mailpit {
  smtpPort: number;
  api: string;
  messages(): Promise<{ ID: string; Subject: string; To: { Address: string }[]; From: { Address: string } }[]>;
  text(id: string): Promise<string>;
}

/**
 * The real mailpit (tools/monitoring/build.sh): SMTP requiring STARTTLS and a password, its HTTP
 * API on loopback to read what arrived.
 */
export async function startMailpit(tls: { certFile: string; keyFile: string }, user: string, password: string) {
  const dir = await testDir('mailpit');
  const bin = join(packageRoot(), '.cache', 'monitoring', 'bin', 'mailpit');
  const authFile = join(dir, 'auth');
  await writeFile(authFile, `${user}:${password}\n`, { mode: 0o600 });
  const smtpPort = await freePort();
  const httpPort = await freePort();
  const child = spawn(
    bin,
    [
      '--database',
      join(dir, 'mail.db'),
      '--listen',
      `127.0.0.1:${httpPort}`,
      '--smtp',
      `127.0.0.1:${smtpPort}`,
      '--smtp-tls-cert',
      tls.certFile,
      '--smtp-tls-key',
      tls.keyFile,
      '--smtp-require-starttls',
      '--smtp-auth-file',
      authFile,
      '--smtp-disable-rdns',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  onTestFinished(() => void child.kill('SIGKILL'));
  const api = `http://127.0.0.1:${httpPort}`;
  await pollUntil(
    async () => {
      const r = await fetch(`${api}/api/v1/messages`);
      if (!r.ok) throw new Error(String(r.status));
    },
    {
      what: 'mailpit to serve',
      timeoutMs: 20_000,
      abortIf: () => {
        if (child.exitCode !== null) throw new Error(`mailpit exited: ${err}`);
      },
    },
  );
  const m: Mailpit = {
    smtpPort,
    api,
    async messages() {
      return ((await (await fetch(`${api}/api/v1/messages`)).json()) as { messages: never[] }).messages;
    },
    async text(id) {
      return ((await (await fetch(`${api}/api/v1/message/${id}`)).json()) as { Text: string }).Text;
    },
  };
  return m;
}
