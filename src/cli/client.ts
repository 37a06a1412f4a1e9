import { createHash } from 'node:crypto';
import { V3Client, V3Error } from '../client/v3-client.js';
import type { ServerEntry } from './config.js';

export { UsageError } from './usage-error.js';

/** The v3 client for a saved server: its URL, its saved CA (or none) and its token. */
export function clientOf(server: ServerEntry): V3Client {
  return new V3Client({ url: server.url, ca: server.cacert, insecure: server.skipVerify, token: server.token });
}

/** The server's /cacerts, fetched without verification (trust on first use), and its SHA-256. */
export async function fetchCa(url: string): Promise<{ pem: string; checksum: string } | undefined> {
  const res = await new V3Client({ url, insecure: true, timeoutMs: 15_000 }).request('GET', '/cacerts');
  if (res.status === 404) return undefined; // a certificate from a public CA
  const pem = res.body.toString('utf8');
  if (res.status !== 200 || !pem.includes('-----BEGIN CERTIFICATE-----'))
    throw new Error(`${url}/cacerts did not answer a CA certificate (HTTP ${res.status}): is this a Corral server?`);
  return { pem, checksum: sha256(pem) };
}

export function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** One line for an error, with what to do where we know. */
export function describeError(err: unknown): string {
  if (err instanceof V3Error) {
    const field = err.fieldName ? ` (field ${err.fieldName})` : '';
    if (err.status === 401) {
      return (
        `${err.message || 'not authenticated'}${field}: your token is invalid or expired; ` +
        `run corral login ${err.serverUrl ?? '<server-url>'} again`
      );
    }
    return `${err.message || err.code}${field} [${err.status} ${err.code}]`;
  }
  return err instanceof Error ? err.message : String(err);
}
