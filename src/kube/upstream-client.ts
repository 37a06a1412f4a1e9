import type { OutgoingHttpHeaders } from 'node:http';
import { send, type Upstream } from './forward.js';

export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/**
 * One JSON request to a cluster's API server over its upstream (tunnel or direct), for the
 * server's own calls (health, cleanup). Rejects on timeout, transport error or a non-2xx status.
 */
export function upstreamJson<T = unknown>(
  upstream: Upstream,
  method: string,
  path: string,
  opts: { body?: unknown; timeoutMs?: number; headers?: OutgoingHttpHeaders } = {},
): Promise<T> {
  return new Promise((resolve, reject) => {
    const payload = opts.body === undefined ? undefined : JSON.stringify(opts.body);
    const req = send(upstream, method, path, {
      accept: 'application/json',
      ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
      ...opts.headers,
    });
    const timer = setTimeout(
      () => req.destroy(new UpstreamError(`no answer within ${opts.timeoutMs ?? 5000} ms`)),
      opts.timeoutMs ?? 5000,
    );
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', reject);
      res.on('end', () => {
        clearTimeout(timer);
        const text = Buffer.concat(chunks).toString('utf8');
        const status = res.statusCode ?? 0;
        if (status < 200 || status >= 300) {
          let message = text.slice(0, 300);
          try {
            message = (JSON.parse(text) as { message?: string }).message ?? message;
          } catch {
            // not JSON
          }
          reject(new UpstreamError(`${method} ${path} answered ${status}: ${message}`, status));
          return;
        }
        try {
          resolve((text ? JSON.parse(text) : {}) as T);
        } catch {
          reject(new UpstreamError(`${method} ${path} answered something that is not JSON`));
        }
      });
    });
    req.on('error', (err) => {
      clearTimeout(timer);
      reject(err instanceof UpstreamError ? err : new UpstreamError(err.message));
    });
    req.end(payload);
  });
}

/** The status of one GET (a health endpoint answering text); 0 when no answer came in time. */
export function upstreamStatus(upstream: Upstream, path: string, timeoutMs = 5000): Promise<number> {
  return new Promise((resolve) => {
    const req = send(upstream, 'GET', path, {});
    const timer = setTimeout(() => req.destroy(new Error('timeout')), timeoutMs);
    req.on('response', (res) => {
      res.resume();
      res.on('end', () => {
        clearTimeout(timer);
        resolve(res.statusCode ?? 0);
      });
    });
    req.on('error', () => {
      clearTimeout(timer);
      resolve(0);
    });
    req.end();
  });
}
