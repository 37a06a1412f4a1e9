// The Node.js floor for bench:proxy: the smallest authenticating, impersonating TLS reverse proxy
// Node's own http/https modules make (the Go TLS proxy's work, line for line), run as its own
// process. What Corral's proxy costs above this is Corral's; what this costs above the Go proxy is
// Node's. Usage: node node-proxy.js <upstream> <dir with upstream-ca.crt, client.crt/.key,
// serving.crt/.key> <token> <user>; prints "serving on https://…".
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { OutgoingHttpHeaders } from 'node:http';
import { Agent, createServer, request } from 'node:https';
import { join } from 'node:path';

const [upstreamUrl, dir, token, user] = process.argv.slice(2) as [string, string, string, string];
const upstream = new URL(upstreamUrl);
const agent = new Agent({
  keepAlive: true,
  maxSockets: 64,
  ca: readFileSync(join(dir, 'upstream-ca.crt')),
  cert: readFileSync(join(dir, 'client.crt')),
  key: readFileSync(join(dir, 'client.key')),
});
const want = createHash('sha256').update(token).digest();

const server = createServer(
  { cert: readFileSync(join(dir, 'serving.crt')), key: readFileSync(join(dir, 'serving.key')) },
  (req, res) => {
    const auth = req.headers.authorization ?? '';
    const got = createHash('sha256')
      .update(auth.startsWith('Bearer ') ? auth.slice(7) : '')
      .digest();
    if (!timingSafeEqual(got, want)) {
      res.writeHead(401).end('unauthorized');
      return;
    }
    const headers: OutgoingHttpHeaders = {};
    for (const name in req.headers) {
      if (name === 'authorization' || name === 'cookie' || name === 'host' || name.startsWith('impersonate-')) continue;
      headers[name] = req.headers[name];
    }
    headers['impersonate-user'] = user;
    const up = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers, agent },
      (ures) => {
        res.writeHead(ures.statusCode ?? 502, ures.headers);
        // A watch's headers come before any event: send them now, as every streaming proxy must.
        if (!ures.headers['content-length']) res.flushHeaders();
        ures.pipe(res);
      },
    );
    up.on('error', () => res.writeHead(502).end());
    req.pipe(up);
  },
);
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  console.log(`serving on https://127.0.0.1:${address.port}`);
});
