import { V3Client, parseJson } from '../../src/client/v3-client.js';

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

/**
 * HTTPS request to a test server, trusting only its CA, through the shared v3 client's transport;
 * tests assert on status and body themselves, so no status throws here.
 */
export async function httpsCall(
  baseUrl: string,
  ca: string,
  path: string,
  opts: RequestOptions = {},
): Promise<HttpResponse> {
  const client = new V3Client({ url: baseUrl, ca, token: opts.token, timeoutMs: 0 });
  const sendsBody = opts.raw !== undefined || opts.body !== undefined;
  const res = await client.request(opts.method ?? (sendsBody ? 'POST' : 'GET'), path, opts.body, {
    raw: opts.raw,
    headers: opts.headers,
  });
  return { status: res.status, headers: res.headers, text: res.body.toString('utf8'), json: parseJson(res.body) ?? {} };
}
