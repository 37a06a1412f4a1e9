import { execFile, spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { mkdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { onTestFinished } from 'vitest';
import { createCA, issueCertificate, writePem } from '../../src/pki/index.js';
import { freePort } from '../../src/localcluster/ports.js';
import { pollUntil } from '../../src/util/poll.js';
import { testDir } from './control-plane.js';

const execFileP = promisify(execFile);

export const SUFFIX = 'dc=example,dc=org';
export const ROOT_DN = `cn=admin,${SUFFIX}`;
const ROOT_PASSWORD = 'root-password-of-the-test-directory';

export interface Slapd {
  host: string;
  /** Plain LDAP (StartTLS offered). */
  port: number;
  /** LDAPS. */
  tlsPort: number;
  /** The CA that signed slapd's certificate (for 127.0.0.1 and localhost). */
  caPem: string;
  /** A CA that did not. */
  otherCaPem: string;
  /** Applies LDIF with the real ldapmodify as the directory's root. */
  modify(ldif: string): Promise<void>;
  delete(dn: string): Promise<void>;
  stop(): Promise<void>;
}

export interface SlapdOptions {
  /** Extra schema files: names in /etc/ldap/schema (e.g. msuser for Active Directory's user and group), or paths. */
  schemas?: string[];
  /** LDIF loaded after the base entry. */
  ldif?: string;
}

/**
 * Runs Debian's real slapd in the foreground on two free loopback ports (ldap with StartTLS, and
 * ldaps), with a generated slapd.conf, an mdb database and a certificate from a fresh test CA;
 * stopped when the test ends. No system service is involved.
 */
export async function startSlapd(opts: SlapdOptions = {}): Promise<Slapd> {
  const dir = await testDir('slapd');
  const data = join(dir, 'data');
  await mkdir(data);
  const ca = await createCA({ commonName: 'test-directory-ca' });
  const other = await createCA({ commonName: 'some-other-ca' });
  const leaf = await issueCertificate(ca, {
    commonName: 'ldap',
    usages: ['server'],
    altNames: ['localhost', '127.0.0.1'],
  });
  await Promise.all([
    writePem(join(dir, 'ca.pem'), ca.certPem),
    writePem(join(dir, 'cert.pem'), leaf.certPem),
    writePem(join(dir, 'key.pem'), leaf.keyPem),
  ]);
  const schemas = ['core', 'cosine', 'inetorgperson', 'nis', ...(opts.schemas ?? [])];
  await writeFile(
    join(dir, 'slapd.conf'),
    [
      ...schemas.map((s) => `include ${s.startsWith('/') ? s : `/etc/ldap/schema/${s}.schema`}`),
      `pidfile ${join(dir, 'slapd.pid')}`,
      'modulepath /usr/lib/ldap',
      'moduleload back_mdb',
      `TLSCACertificateFile ${join(dir, 'ca.pem')}`,
      `TLSCertificateFile ${join(dir, 'cert.pem')}`,
      `TLSCertificateKeyFile ${join(dir, 'key.pem')}`,
      'database mdb',
      `suffix "${SUFFIX}"`,
      `rootdn "${ROOT_DN}"`,
      `rootpw ${ROOT_PASSWORD}`,
      `directory ${data}`,
      'maxsize 67108864',
      // Anyone bound may read (the service account searches); passwords only for binding.
      'access to attrs=userPassword by anonymous auth by self write by * none',
      'access to * by users read by anonymous auth',
      '',
    ].join('\n'),
  );
  const [port, tlsPort] = [await freePort(), await freePort()];
  const child = spawn(
    '/usr/sbin/slapd',
    ['-f', join(dir, 'slapd.conf'), '-h', `ldap://127.0.0.1:${port}/ ldaps://127.0.0.1:${tlsPort}/`, '-d', '0'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let err = '';
  child.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  let exit: number | null | undefined;
  child.once('exit', (code) => (exit = code));
  const stop = async () => {
    if (exit !== undefined) return;
    const gone = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await gone;
  };
  onTestFinished(stop);
  await pollUntil(
    () =>
      new Promise<void>((resolve, reject) => {
        const s = connect(port, '127.0.0.1', () => (s.end(), resolve()));
        s.once('error', reject);
      }),
    {
      what: 'slapd to listen',
      timeoutMs: 20_000,
      intervalMs: 50,
      abortIf: () => {
        if (exit !== undefined) throw new Error(`slapd exited with ${exit}:\n${err}`);
      },
    },
  );
  const ldapmodify = async (args: string[], input: string) => {
    await new Promise<void>((resolve, reject) => {
      const p = execFile(
        'ldapmodify',
        ['-x', '-H', `ldap://127.0.0.1:${port}`, '-D', ROOT_DN, '-w', ROOT_PASSWORD, ...args],
        (e, _out, stderr) => (e ? reject(new Error(`ldapmodify failed: ${stderr}`)) : resolve()),
      );
      p.stdin!.end(input);
    });
  };
  const slapd: Slapd = {
    host: '127.0.0.1',
    port,
    tlsPort,
    caPem: ca.certPem,
    otherCaPem: other.certPem,
    modify: (ldif) => ldapmodify(['-a'], ldif),
    delete: async (dn) => {
      await execFileP('ldapdelete', ['-x', '-H', `ldap://127.0.0.1:${port}`, '-D', ROOT_DN, '-w', ROOT_PASSWORD, dn]);
    },
    stop,
  };
  await slapd.modify(`dn: ${SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\no: Example\ndc: example\n`);
  if (opts.ldif) await slapd.modify(opts.ldif);
  return slapd;
}

/** An LDIF entry from a DN and attributes (arrays repeat the attribute). */
export function entry(dn: string, attrs: Record<string, string | string[]>): string {
  const lines = [`dn: ${dn}`];
  for (const [k, v] of Object.entries(attrs)) for (const one of Array.isArray(v) ? v : [v]) lines.push(`${k}: ${one}`);
  return lines.join('\n') + '\n\n';
}

/** An openLdapConfig for this slapd over StartTLS with its CA, bound as `serviceDn`. */
export function openLdapConfigFor(
  slapd: Slapd,
  service: { dn: string; password: string },
  over: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    servers: ['127.0.0.1'],
    port: slapd.port,
    startTLS: true,
    certificate: slapd.caPem,
    serviceAccountDistinguishedName: service.dn,
    serviceAccountPassword: service.password,
    userSearchBase: `ou=people,${SUFFIX}`,
    groupSearchBase: `ou=groups,${SUFFIX}`,
    ...over,
  };
}
