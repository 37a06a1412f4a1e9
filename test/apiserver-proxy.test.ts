import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { createServer, connect, type Server, type AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { binaryPath } from '../src/kube/binaries.js';
import { eventually } from './helpers/eventually.js';

// The real corral-apiserver-proxy (built by tools/k8s/build.sh from tools/apiserver-proxy) in
// front of plain TCP servers that answer with their own name: the relay is TCP, so what it carries
// does not matter here; TLS through it is shown by the provisioner's end-to-end test.
const cleanup: (() => void)[] = [];
afterEach(() => {
  while (cleanup.length) cleanup.pop()!();
});

async function backend(name: string): Promise<{ server: Server; address: string }> {
  const server = createServer((sock) => {
    sock.on('data', (d) => sock.end(`${name}:${d.toString()}`));
    sock.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  cleanup.push(() => server.close());
  return { server, address: `127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function freePort(): Promise<number> {
  const s = createServer().listen(0, '127.0.0.1');
  await once(s, 'listening');
  const { port } = s.address() as AddressInfo;
  await new Promise((r) => s.close(r));
  return port;
}

async function startProxy(backends: string[]): Promise<{ proc: ChildProcess; port: number; log: () => string }> {
  const port = await freePort();
  const bin = await binaryPath('corral-apiserver-proxy');
  const proc = spawn(bin, [`--listen=127.0.0.1:${port}`, ...backends.map((b) => `--backend=${b}`)]);
  let log = '';
  proc.stderr!.on('data', (d: Buffer) => (log += d.toString()));
  cleanup.push(() => proc.kill('SIGKILL'));
  await eventually(async () => {
    if (!log.includes('proxying')) throw new Error(`not listening yet: ${log}`);
  }, 'the proxy to listen');
  return { proc, port, log: () => log };
}

/** What came back before the connection closed ('' when the proxy closed it unanswered, even by a reset). */
function ask(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const sock = connect(port, '127.0.0.1', () => sock.write(text));
    sock.on('data', (d) => (answer += d.toString()));
    sock.on('error', () => {});
    sock.on('close', () => resolve(answer));
  });
}

describe('corral-apiserver-proxy', () => {
  test('spreads connections over every backend, in both directions intact', async () => {
    const a = await backend('a');
    const b = await backend('b');
    const { port } = await startProxy([a.address, b.address]);
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => ask(port, `hello-${i}`)));
    for (const [i, answer] of answers.entries()) expect(answer).toMatch(new RegExp(`^[ab]:hello-${i}$`));
    expect(new Set(answers.map((x) => x[0]))).toEqual(new Set(['a', 'b']));
  });

  test('a backend that stops answering is skipped; every connection still gets an answer', async () => {
    const a = await backend('a');
    const b = await backend('b');
    const { port, log } = await startProxy([a.address, b.address]);
    await new Promise((r) => a.server.close(r));
    for (let i = 0; i < 8; i++) expect(await ask(port, `x${i}`)).toBe(`b:x${i}`);
    expect(log()).not.toContain('no API server reachable');
  });

  test('with no backend answering the client is closed and the reason logged; it recovers when one returns', async () => {
    const dead = await freePort();
    const { port, log } = await startProxy([`127.0.0.1:${dead}`]);
    expect(await ask(port, 'anyone?')).toBe('');
    expect(log()).toContain('no API server reachable');
    const back = createServer((sock) => sock.on('data', (d) => sock.end(`back:${d.toString()}`)));
    back.listen(dead, '127.0.0.1');
    await once(back, 'listening');
    cleanup.push(() => back.close());
    expect(await ask(port, 'now')).toBe('back:now');
  });

  test('refuses to start without a backend or with a malformed one, and stops on SIGTERM', async () => {
    const bin = await binaryPath('corral-apiserver-proxy');
    for (const args of [[], ['--backend=no-port']]) {
      const p = spawn(bin, args);
      let err = '';
      p.stderr.on('data', (d: Buffer) => (err += d.toString()));
      const [code] = (await once(p, 'exit')) as [number];
      expect(code).toBe(2);
      expect(err).toContain('--backend');
    }
    const a = await backend('a');
    const { proc } = await startProxy([a.address]);
    proc.kill('SIGTERM');
    const [code] = (await once(proc, 'exit')) as [number];
    expect(code).toBe(0);
  });
});
