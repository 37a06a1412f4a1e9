import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, request } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkServerIdentity, type TLSSocket } from 'node:tls';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  certificateFromPem,
  createCA,
  inspectCertificate,
  issueCertificate,
  readCertificate,
  verifyIssuedBy,
  writeCertificate,
  writePem,
  type Certificate,
} from './index.js';

const execFileP = promisify(execFile);
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'corral-pki-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function opensslVerify(ca: Certificate, leaf: Certificate, purpose: string): Promise<string> {
  const name = Math.random().toString(36).slice(2);
  const caFile = join(dir, `${name}-ca.crt`);
  const leafFile = join(dir, `${name}.crt`);
  await Promise.all([writePem(caFile, ca.certPem), writePem(leafFile, leaf.certPem)]);
  const { stdout } = await execFileP('openssl', ['verify', '-purpose', purpose, '-CAfile', caFile, leafFile]);
  return stdout;
}

interface HandshakeResult {
  ok: boolean;
  error?: string;
  peerCommonName?: string;
}

/** A real TLS handshake between a Node HTTPS server and client, both over loopback. */
async function handshake(opts: {
  server: Certificate;
  trust: Certificate;
  client?: Certificate;
  clientCA?: Certificate;
  host?: string;
}): Promise<HandshakeResult> {
  const server = createServer(
    {
      cert: opts.server.certPem,
      key: opts.server.keyPem,
      ca: opts.clientCA?.certPem,
      requestCert: !!opts.clientCA,
      rejectUnauthorized: !!opts.clientCA,
    },
    (req, res) => {
      const peer = (req.socket as TLSSocket).getPeerCertificate();
      res.end(peer?.subject?.CN ?? '');
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  try {
    return await new Promise<HandshakeResult>((resolve) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          ca: opts.trust.certPem,
          cert: opts.client?.certPem,
          key: opts.client?.keyPem,
          // The identity the client expects: by default the address it dialled.
          checkServerIdentity: (_host, cert) => checkServerIdentity(opts.host ?? '127.0.0.1', cert),
        },
        (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ ok: true, peerCommonName: body }));
        },
      );
      req.on('error', (err) => resolve({ ok: false, error: (err as NodeJS.ErrnoException).code ?? err.message }));
      req.end();
    });
  } finally {
    server.close();
  }
}

describe('pki', () => {
  let ca: Certificate;
  let server: Certificate;
  let client: Certificate;

  beforeAll(async () => {
    ca = await createCA({ commonName: 'test-ca' });
    [server, client] = await Promise.all([
      issueCertificate(ca, {
        commonName: 'kube-apiserver',
        usages: ['server'],
        altNames: ['localhost', 'kubernetes.default.svc', '127.0.0.1', '10.0.0.1'],
      }),
      issueCertificate(ca, {
        commonName: 'alice',
        organizations: ['system:masters', 'team-a'],
        usages: ['client'],
      }),
    ]);
  });

  test('openssl verifies server and client certificates against their CA, for their purpose only', async () => {
    expect(await opensslVerify(ca, server, 'sslserver')).toMatch(/: OK/);
    expect(await opensslVerify(ca, client, 'sslclient')).toMatch(/: OK/);
    // A client-only certificate must not pass as a server certificate.
    await expect(opensslVerify(ca, client, 'sslserver')).rejects.toThrow(/unsuitable certificate purpose/);
  });

  test('openssl rejects a certificate signed by another CA', async () => {
    const other = await createCA({ commonName: 'other-ca' });
    await expect(opensslVerify(other, server, 'sslserver')).rejects.toThrow(/unable to get local issuer/);
  });

  test('RSA keys work as well as ECDSA', async () => {
    const rsaCA = await createCA({ commonName: 'rsa-ca', keyAlgorithm: 'rsa-2048' });
    const leaf = await issueCertificate(rsaCA, {
      commonName: 'svc',
      usages: ['server', 'client'],
      altNames: ['svc.local'],
      keyAlgorithm: 'rsa-2048',
    });
    expect(await opensslVerify(rsaCA, leaf, 'sslserver')).toMatch(/: OK/);
    expect(leaf.keyPem).toContain('BEGIN PRIVATE KEY');
  });

  test('subject and SANs read back as issued', () => {
    const info = inspectCertificate(client.cert);
    expect(info.commonName).toBe('alice');
    expect(info.organizations).toEqual(['system:masters', 'team-a']);
    expect(info.isCA).toBe(false);
    const s = inspectCertificate(server.cert);
    expect(s.dnsNames).toEqual(['localhost', 'kubernetes.default.svc']);
    expect(s.ipAddresses).toEqual(['127.0.0.1', '10.0.0.1']);
    expect(inspectCertificate(ca.cert).isCA).toBe(true);
    expect(s.sha256).toMatch(/^[0-9a-f]{64}$/);
  });

  test('verifyIssuedBy accepts the issuer and explains a wrong one', async () => {
    expect(() => verifyIssuedBy(server.cert, ca.cert)).not.toThrow();
    const other = await createCA({ commonName: 'other-ca' });
    expect(() => verifyIssuedBy(server.cert, other.cert)).toThrow(/names issuer .*test-ca/);
    expect(() => verifyIssuedBy(server.cert, ca.cert, new Date(Date.now() + 400 * 86400_000))).toThrow(/valid from/);
  });

  test('a server certificate needs a name, and a certificate needs a usage', async () => {
    await expect(issueCertificate(ca, { commonName: 'x', usages: ['server'] })).rejects.toThrow(/DNS name or IP/);
    await expect(issueCertificate(ca, { commonName: 'x', usages: [] })).rejects.toThrow(/at least one usage/);
  });

  test('TLS handshake succeeds with the issuing CA and checks the host name', async () => {
    expect(await handshake({ server, trust: ca })).toMatchObject({ ok: true });
    expect(await handshake({ server, trust: ca, host: 'kubernetes.default.svc' })).toMatchObject({ ok: true });
    const wrongHost = await handshake({ server, trust: ca, host: 'evil.example.com' });
    expect(wrongHost).toMatchObject({ ok: false, error: 'ERR_TLS_CERT_ALTNAME_INVALID' });
  });

  test('TLS handshake fails when the client trusts another CA', async () => {
    const other = await createCA({ commonName: 'other-ca' });
    const result = await handshake({ server, trust: other });
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|UNABLE_TO_GET_ISSUER/);
  });

  test('mutual TLS: the server sees the client CN, and refuses a client from another CA', async () => {
    const ok = await handshake({ server, trust: ca, client, clientCA: ca });
    expect(ok).toEqual({ ok: true, peerCommonName: 'alice' });
    const otherCA = await createCA({ commonName: 'other-ca' });
    const stranger = await issueCertificate(otherCA, { commonName: 'mallory', usages: ['client'] });
    const refused = await handshake({ server, trust: ca, client: stranger, clientCA: ca });
    expect(refused.ok).toBe(false);
    const anonymous = await handshake({ server, trust: ca, clientCA: ca });
    expect(anonymous.ok).toBe(false);
  });

  test('PEM files are written with mode 0600 and read back, even over a looser existing file', async () => {
    const paths = { cert: join(dir, 'rw', 'leaf.crt'), key: join(dir, 'rw', 'leaf.key') };
    await writeCertificate(client, paths);
    await writeFile(paths.key, 'stale', { mode: 0o644 });
    await writeCertificate(client, paths);
    for (const p of [paths.cert, paths.key]) expect((await stat(p)).mode & 0o777).toBe(0o600);
    const back = await readCertificate(paths);
    expect(back.certPem).toBe(client.certPem);
    expect(inspectCertificate(back.cert).commonName).toBe('alice');
    // A certificate read back can sign: it is a working CA after a restart.
    const again = await readCertificate(
      await (async () => {
        const p = { cert: join(dir, 'rw', 'ca.crt'), key: join(dir, 'rw', 'ca.key') };
        await writeCertificate(ca, p);
        return p;
      })(),
    );
    const leaf = await issueCertificate(again, { commonName: 'later', usages: ['client'] });
    expect(await opensslVerify(ca, leaf, 'sslclient')).toMatch(/: OK/);
  });

  test('a key that does not match its certificate is refused', () => {
    expect(() => certificateFromPem(server.certPem, client.keyPem)).toThrow(/does not match/);
  });
});
