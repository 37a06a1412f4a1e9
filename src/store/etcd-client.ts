/** Connecting to etcd with mutual TLS, and turning etcd client failures into StoreErrors. */
import { Etcd3 } from 'etcd3';
import { StoreError } from './types.js';

export interface EtcdConnectionOptions {
  /** Client URLs, e.g. `https://10.0.0.1:2379`. */
  endpoints: string[];
  /** PEM contents (not paths) of the CA that signed etcd's serving certificate. */
  ca?: string;
  /** PEM contents of this client's certificate and key, for etcd's client-cert-auth. */
  cert?: string;
  key?: string;
  /** Deadline of each unary call; streams (watches, keepalives) have none. Default 10 s. */
  callTimeoutMs?: number;
}

const DEFAULT_CALL_TIMEOUT_MS = 10_000;

export function connectEtcd(options: EtcdConnectionOptions): Etcd3 {
  if (options.endpoints.length === 0) throw new Error('etcd needs at least one endpoint');
  if ((options.cert === undefined) !== (options.key === undefined)) {
    throw new Error('an etcd client certificate needs its key, and a key its certificate: give both or neither');
  }
  const secure = options.endpoints.some((e) => e.startsWith('https://'));
  if (secure && options.ca === undefined) {
    throw new Error(`etcd at ${options.endpoints.join(', ')} uses https: give the CA certificate that signed it`);
  }
  const timeout = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
  return new Etcd3({
    hosts: options.endpoints,
    ...(options.ca !== undefined && {
      credentials: {
        rootCertificate: Buffer.from(options.ca),
        ...(options.key !== undefined && { privateKey: Buffer.from(options.key) }),
        ...(options.cert !== undefined && { certChain: Buffer.from(options.cert) }),
      },
    }),
    // Without a deadline a call to an unreachable etcd waits forever.
    defaultCallOptions: (context) => (context.isStream ? {} : { deadline: Date.now() + timeout }),
  });
}

const COMPACTED = 'required revision has been compacted';

export function isCompactedError(err: unknown): boolean {
  return err instanceof Error && err.message.includes(COMPACTED);
}

/** Maps an etcd client failure during `what` to a StoreError; StoreErrors pass through. */
export function storeErrorFrom(err: unknown, what: string): StoreError {
  if (err instanceof StoreError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const mapped = isCompactedError(err)
    ? new StoreError('Gone', `${what}: the revision it needs was compacted in etcd; list again and start over`)
    : new StoreError('Unavailable', `${what}: etcd failed: ${message}`);
  return Object.assign(mapped, { cause: err });
}
