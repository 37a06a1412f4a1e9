import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { PemPaths } from '../pki/index.js';
import { readFileSync } from 'node:fs';
import { pollUntil } from '../util/poll.js';
import { probe } from './https-probe.js';
import { freePort } from './ports.js';
import { startProcess, type ManagedProcess } from './processes.js';
import { failedStartError } from './errors.js';

export interface EtcdOptions {
  /** Folder for its data and log. */
  dir: string;
  binary: string;
  ca: PemPaths;
  /** Serving and peer certificate (server and client usage, loopback SANs). */
  server: PemPaths;
  /** A client certificate, used here only to probe health. */
  client: PemPaths;
  clientPort?: number;
  detached?: boolean;
  timeoutMs?: number;
}

export interface EtcdInstance {
  endpoint: string;
  clientPort: number;
  peerPort: number;
  process: ManagedProcess;
}

/** Starts a single-member etcd with mutual TLS on loopback and waits until it reports healthy. */
export async function startEtcd(opts: EtcdOptions): Promise<EtcdInstance> {
  const [clientPort, peerPort] = await Promise.all([opts.clientPort ?? freePort(), freePort()]);
  const endpoint = `https://127.0.0.1:${clientPort}`;
  const peer = `https://127.0.0.1:${peerPort}`;
  await mkdir(join(opts.dir, 'logs'), { recursive: true });
  const proc = startProcess({
    name: 'etcd',
    command: opts.binary,
    logFile: join(opts.dir, 'logs', 'etcd.log'),
    detached: opts.detached,
    args: [
      '--name=default',
      `--data-dir=${join(opts.dir, 'etcd')}`,
      `--listen-client-urls=${endpoint}`,
      `--advertise-client-urls=${endpoint}`,
      `--listen-peer-urls=${peer}`,
      `--initial-advertise-peer-urls=${peer}`,
      `--initial-cluster=default=${peer}`,
      '--initial-cluster-state=new',
      `--cert-file=${opts.server.cert}`,
      `--key-file=${opts.server.key}`,
      `--trusted-ca-file=${opts.ca.cert}`,
      '--client-cert-auth',
      `--peer-cert-file=${opts.server.cert}`,
      `--peer-key-file=${opts.server.key}`,
      `--peer-trusted-ca-file=${opts.ca.cert}`,
      '--peer-client-cert-auth',
      // Local clusters are for development and tests: losing the last writes on power failure is
      // an acceptable price for not waiting on fsync at every write.
      '--unsafe-no-fsync',
      '--log-level=warn',
    ],
  });
  const tls = {
    ca: readFileSync(opts.ca.cert, 'utf8'),
    cert: readFileSync(opts.client.cert, 'utf8'),
    key: readFileSync(opts.client.key, 'utf8'),
  };
  try {
    await pollUntil(
      async () => {
        const body = await probe(`${endpoint}/health`, tls);
        if (!body.includes('"health":"true"')) throw new Error(`unhealthy: ${body}`);
      },
      {
        what: 'etcd to become healthy',
        timeoutMs: opts.timeoutMs ?? 30_000,
        intervalMs: 50,
        abortIf: () => exitedCheck(proc),
      },
    );
  } catch (err) {
    throw await failedStartError('etcd', err, [proc]);
  }
  return { endpoint, clientPort, peerPort, process: proc };
}

export function exitedCheck(p: ManagedProcess): void {
  if (p.exit) {
    throw new Error(`${p.name} exited (${p.exit.signal ?? `code ${p.exit.code}`})`);
  }
}
