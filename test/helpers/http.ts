import { request as httpsRequest } from 'node:https';

export interface HttpResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** Parsed JSON body, or undefined when it is not JSON. */
  json: Record<string, any>;
}

export interface RequestOptions {
  method?: string;
  /** A token (`token-xxxxx:secret`) sent as Bearer. */
  token?: string;
  body?: unknown;
  /** A raw body, sent as is (for malformed input tests). */
  raw?: string | Buffer;
  headers?: Record<string, string>;
}

/** HTTPS request to a test server, trusting only its CA. */
export function httpsCall(baseUrl: string, ca: string, path: string, opts: RequestOptions = {}): Promise<HttpResponse> {
  const payload = opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body));
  const headers: Record<string, string> = { ...opts.headers };
  if (payload !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-type')) {
    headers['content-type'] = 'application/json';
  }
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  return new Promise((resolve, reject) => {
    const req = httpsRequest(
      new URL(path, baseUrl),
      { method: opts.method ?? (payload ? 'POST' : 'GET'), headers, ca },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let json: Record<string, unknown> = {};
          try {
            json = JSON.parse(text) as Record<string, unknown>;
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}
