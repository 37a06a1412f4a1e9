import type { IncomingMessage } from 'node:http';
import { ApiError } from './errors.js';

export const DEFAULT_BODY_LIMIT = 1 << 20; // 1 MiB: far above any v3 object, far below harm.

/**
 * Reads the request body, refusing more than `limit` bytes with 413 without buffering them. The
 * rest of an oversized body is drained, not read into memory, so that the 413 reaches the client
 * instead of a reset connection.
 */
export function readBody(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tooLarge = (what: string) =>
      new ApiError('RequestTooLarge', `request body ${what} is over the limit of ${limit} bytes`, undefined, {
        connection: 'close',
      });
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      req.resume();
      reject(tooLarge(`of ${declared} bytes`));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let refused = false;
    req.on('data', (chunk: Buffer) => {
      if (refused) return;
      size += chunk.length;
      if (size > limit) {
        refused = true;
        chunks.length = 0;
        reject(tooLarge(`of more than ${limit} bytes`));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (!refused) resolve(Buffer.concat(chunks));
    });
    req.on('error', reject);
  });
}

/** Reads a JSON object body. Empty means `{}`; anything but a JSON object is a 400. */
export async function readJsonObject(req: IncomingMessage, limit?: number): Promise<Record<string, unknown>> {
  const type = req.headers['content-type'];
  if (type && !/^application\/(json|[\w.+-]+\+json)\b/i.test(type)) {
    throw new ApiError(
      'UnsupportedMediaType',
      `send the body as JSON with the header Content-Type: application/json (this request has ${type})`,
    );
  }
  const raw = (await readBody(req, limit)).toString('utf8');
  if (raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch (err) {
    throw new ApiError('InvalidBodyContent', `request body is not valid JSON: ${(err as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new ApiError('InvalidBodyContent', 'request body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}

/** Reads an HTML form post (application/x-www-form-urlencoded), as a SAML IdP's browser sends it. */
export async function readForm(req: IncomingMessage, limit?: number): Promise<Record<string, string>> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/x-www-form-urlencoded\b/i.test(type))
    throw new ApiError(
      'UnsupportedMediaType',
      `post the form as application/x-www-form-urlencoded (this request has ${type || 'no content type'})`,
    );
  return Object.fromEntries(new URLSearchParams((await readBody(req, limit)).toString('utf8')));
}
