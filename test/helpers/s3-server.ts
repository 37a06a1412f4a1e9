import aws4 from 'aws4';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import { binaryPath } from '../../src/kube/binaries.js';
import { freePort } from '../../src/localcluster/ports.js';
import { createCA, issueCertificate, writePem } from '../../src/pki/index.js';
import { pollUntil } from '../../src/util/poll.js';
import { testDir } from './control-plane.js';

/**
 * A real S3-compatible server for tests: MinIO (built by tools/k8s/build.sh) over HTTPS with a
 * certificate from a test CA, and an independent client (requests signed by the aws4 package,
 * sent by node:https) to create buckets and inspect what the code under test stored.
 */
export interface S3Server {
  /** host:port, as s3backupconfig's endpoint (https implied). */
  endpoint: string;
  caPem: string;
  accessKey: string;
  secretKey: string;
  region: string;
  createBucket(bucket: string): Promise<void>;
  /** Keys under `prefix`, sorted. */
  listKeys(bucket: string, prefix?: string): Promise<string[]>;
  putObject(bucket: string, key: string, body: string): Promise<void>;
  stop(): Promise<void>;
}

interface Answer {
  status: number;
  body: string;
}

/** Starts MinIO listening on `host` (a node set's gateway, so that test nodes reach it). */
export async function startS3Server(host: string): Promise<S3Server> {
  const dir = await testDir('s3');
  const ca = await createCA({ commonName: 'test-s3-ca' });
  const leaf = await issueCertificate(ca, { commonName: 'minio', usages: ['server'], altNames: [host] });
  await mkdir(join(dir, 'certs'), { recursive: true });
  await writePem(join(dir, 'certs', 'public.crt'), leaf.certPem);
  await writePem(join(dir, 'certs', 'private.key'), leaf.keyPem);
  const port = await freePort(host);
  const accessKey = 'corral-test-access';
  const secretKey = `corral-test-secret-${Math.random().toString(36).slice(2, 10)}`;
  const region = 'us-east-1';

  let log = '';
  const child: ChildProcess = spawn(
    await binaryPath('minio'),
    [
      'server',
      join(dir, 'data'),
      '--address',
      `${host}:${port}`,
      '--console-address',
      `127.0.0.1:${await freePort()}`,
      '--certs-dir',
      join(dir, 'certs'),
      '--quiet',
    ],
    {
      env: {
        PATH: process.env.PATH,
        HOME: dir,
        MINIO_ROOT_USER: accessKey,
        MINIO_ROOT_PASSWORD: secretKey,
        MINIO_BROWSER: 'off',
        MINIO_UPDATE: 'off',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout?.on('data', (d: Buffer) => (log += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (log += d.toString()));
  let exited = false;
  child.on('exit', () => (exited = true));

  const call = (method: string, path: string, body = ''): Promise<Answer> => {
    const signed = aws4.sign(
      { host: `${host}:${port}`, path, method, service: 's3', region, body, headers: {} },
      { accessKeyId: accessKey, secretAccessKey: secretKey },
    );
    return new Promise((resolve, reject) => {
      const req = request(
        { hostname: host, port, path, method, headers: signed.headers as Record<string, string>, ca: ca.certPem },
        (res) => {
          let text = '';
          res.on('data', (c: Buffer) => (text += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
  };
  const ok = async (what: string, answer: Promise<Answer>): Promise<Answer> => {
    const a = await answer;
    if (a.status >= 300) throw new Error(`${what}: HTTP ${a.status}: ${a.body}`);
    return a;
  };

  await pollUntil(
    async () => {
      if (exited) throw new Error(`minio exited:\n${log}`);
      await ok('minio health', call('GET', '/minio/health/live'));
    },
    { what: 'minio to answer', timeoutMs: 30_000, intervalMs: 200 },
  ).catch((err: Error) => {
    child.kill('SIGKILL');
    throw new Error(`${err.message}\n${log}`);
  });

  return {
    endpoint: `${host}:${port}`,
    caPem: ca.certPem,
    accessKey,
    secretKey,
    region,
    createBucket: async (bucket) => void (await ok(`create bucket ${bucket}`, call('PUT', `/${bucket}`))),
    putObject: async (bucket, key, body) => void (await ok(`put ${key}`, call('PUT', `/${bucket}/${key}`, body))),
    listKeys: async (bucket, prefix = '') => {
      const a = await ok(`list ${bucket}`, call('GET', `/${bucket}?list-type=2&prefix=${encodeURIComponent(prefix)}`));
      return [...a.body.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1]!).sort();
    },
    stop: async () => {
      if (exited) return;
      const gone = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await Promise.race([gone, new Promise((r) => setTimeout(r, 5000))]);
      if (!exited) child.kill('SIGKILL');
    },
  };
}
