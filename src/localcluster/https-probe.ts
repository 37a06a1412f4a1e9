import { request } from 'node:https';

export interface ProbeTls {
  ca: string;
  cert?: string;
  key?: string;
  /** Components with self-signed serving certificates (controller-manager, scheduler). */
  insecure?: boolean;
}

/** GETs `url` and resolves with the body when the status is 200; rejects with the reason otherwise. */
export function probe(url: string, tls: ProbeTls, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: !tls.insecure, timeout: timeoutMs },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => {
          if (res.statusCode === 200) resolve(body);
          else reject(new Error(`${url} answered ${res.statusCode}: ${body.slice(0, 500)}`));
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`${url} did not answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
