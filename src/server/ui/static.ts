import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { promisify } from 'node:util';
import { brotliCompress, constants as zlibConstants, gzip } from 'node:zlib';
import { packageRoot } from '../../util/package-root.js';

const gzipP = promisify(gzip);
const brotliP = promisify(brotliCompress);

/** Where the built SPA is: CORRAL_UI_DIR (tests, packagers), else ui/dist in the package. */
export function defaultUiDir(): string {
  return process.env.CORRAL_UI_DIR || join(packageRoot(), 'ui', 'dist');
}

const NOT_BUILT = 'the web UI is not built: run npm run build:ui\n';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.txt': 'text/plain; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.wasm': 'application/wasm',
};
const COMPRESSIBLE = new Set(['.html', '.js', '.mjs', '.css', '.json', '.map', '.svg', '.txt', '.webmanifest']);
/** Below this, compression costs more than the bytes it saves. */
const MIN_COMPRESS = 1024;

/**
 * Same-origin everything: the SPA ships no inline script or style elements, so nothing needs to be
 * allowed beyond 'self' (data: images only, for icons inlined by the bundler).
 */
export const CONTENT_SECURITY_POLICY =
  "default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy': CONTENT_SECURITY_POLICY,
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'same-origin',
  'strict-transport-security': 'max-age=31536000',
};

/** Vite names built assets `<name>-<hash>.<ext>` under assets/: their content never changes. */
const IMMUTABLE = /^\/assets\//;

type Encoding = 'br' | 'gzip';

interface Found {
  path: string;
  size: number;
  mtimeMs: number;
}

export interface StaticOptions {
  /** The built SPA folder; default defaultUiDir(). */
  dir?: string;
}

/** Serves the built SPA: files as they are, index.html for client-side routes. */
export function staticUi(opts: StaticOptions = {}) {
  const root = resolve(opts.dir ?? defaultUiDir());
  // On-the-fly compressions of files without a precompressed sibling, keyed by path, size and mtime.
  const compressed = new Map<string, Buffer>();
  let compressedBytes = 0;
  const CACHE_LIMIT = 64 << 20;

  async function find(path: string): Promise<Found | undefined> {
    try {
      const s = await stat(path);
      return s.isFile() ? { path, size: s.size, mtimeMs: s.mtimeMs } : undefined;
    } catch {
      return undefined;
    }
  }

  /** The file under root a URL path names, or undefined when it would leave root. */
  function resolveInside(pathname: string): string | undefined {
    let decoded: string;
    try {
      decoded = decodeURIComponent(pathname);
    } catch {
      return undefined;
    }
    if (decoded.includes('\0') || decoded.includes('\\')) return undefined;
    const full = resolve(root, '.' + decoded);
    return full === root || full.startsWith(root + sep) ? full : undefined;
  }

  function acceptedEncodings(req: IncomingMessage): Set<Encoding> {
    const out = new Set<Encoding>();
    for (const part of String(req.headers['accept-encoding'] ?? '').split(',')) {
      const [name, ...params] = part.trim().toLowerCase().split(';');
      if (params.some((p) => /^\s*q=0(\.0*)?\s*$/.test(p))) continue;
      if (name === 'br' || name === 'gzip') out.add(name);
    }
    return out;
  }

  async function compressedBody(file: Found, encoding: Encoding): Promise<Buffer> {
    const key = `${encoding}:${file.path}:${file.size}:${file.mtimeMs}`;
    const hit = compressed.get(key);
    if (hit) return hit;
    const raw = await readFile(file.path);
    const body =
      encoding === 'br'
        ? await brotliP(raw, { params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 5 } })
        : await gzipP(raw, { level: 6 });
    if (compressedBytes + body.length > CACHE_LIMIT) {
      compressed.clear();
      compressedBytes = 0;
    }
    compressed.set(key, body);
    compressedBytes += body.length;
    return body;
  }

  async function send(req: IncomingMessage, res: ServerResponse, file: Found, cacheControl: string): Promise<void> {
    const ext = extname(file.path).toLowerCase();
    const compressible = COMPRESSIBLE.has(ext) && file.size >= MIN_COMPRESS;
    const accepted = compressible ? acceptedEncodings(req) : new Set<Encoding>();
    const encoding = (['br', 'gzip'] as const).find((e) => accepted.has(e));
    // Each encoding is its own representation, with its own validator.
    const etag = `"${file.size.toString(36)}-${Math.floor(file.mtimeMs).toString(36)}${encoding ? `-${encoding}` : ''}"`;
    const headers: Record<string, string | number> = {
      ...SECURITY_HEADERS,
      'content-type': TYPES[ext] ?? 'application/octet-stream',
      'cache-control': cacheControl,
      etag,
    };
    if (compressible) headers.vary = 'Accept-Encoding';
    if (req.headers['if-none-match'] === etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    const head = req.method === 'HEAD';
    if (encoding) {
      headers['content-encoding'] = encoding;
      // A precompressed sibling (app.js.br, app.js.gz) from the build wins over compressing here.
      const pre = await find(`${file.path}.${encoding === 'br' ? 'br' : 'gz'}`);
      if (pre) {
        res.writeHead(200, { ...headers, 'content-length': pre.size });
        if (head) res.end();
        else
          createReadStream(pre.path)
            .on('error', () => res.destroy())
            .pipe(res);
        return;
      }
      const body = await compressedBody(file, encoding);
      res.writeHead(200, { ...headers, 'content-length': body.length });
      res.end(head ? undefined : body);
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': file.size });
    if (head) res.end();
    else
      createReadStream(file.path)
        .on('error', () => res.destroy())
        .pipe(res);
  }

  function sendPlain(res: ServerResponse, status: number, text: string, head: boolean): void {
    res.writeHead(status, {
      ...SECURITY_HEADERS,
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
      'content-length': Buffer.byteLength(text),
    });
    res.end(head ? undefined : text);
  }

  /** GET or HEAD of a path that is not an API path. */
  async function serve(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const head = req.method === 'HEAD';
    const path = resolveInside(url.pathname);
    if (path === undefined) return sendPlain(res, 404, 'not found\n', head);
    const file = url.pathname.endsWith('/') ? undefined : await find(path);
    if (file) {
      const isIndex = file.path === join(root, 'index.html');
      return send(
        req,
        res,
        file,
        IMMUTABLE.test(url.pathname) && !isIndex ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    }
    // A missing hashed asset is a stale page asking for an old build: answering index.html would
    // hand it HTML as JavaScript.
    if (IMMUTABLE.test(url.pathname)) return sendPlain(res, 404, 'not found\n', head);
    const index = await find(join(root, 'index.html'));
    if (!index) return sendPlain(res, 503, NOT_BUILT, head);
    return send(req, res, index, 'no-cache');
  }

  return { serve, dir: root };
}

/** Paths the SPA must never shadow, even for a GET the API does not answer. */
const API_PATH = /^\/(v1|v1-public|v1-saml|v3|v3-public|k8s|cacerts|healthz|ping|metrics)(\/|$)/i;

export function isApiPath(path: string): boolean {
  return API_PATH.test(path);
}
