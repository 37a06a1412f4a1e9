import type { IncomingMessage } from 'node:http';
import { ApiError } from './errors.js';

export const DEFAULT_BODY_LIMIT = 1 << 20; // 1 MiB: far above any v3 object, far below harm.

/** Reads the request body, refusing more than `limit` bytes with 413 before buffering it all. */
export async function readBody(req: IncomingMessage, limit = DEFAULT_BODY_LIMIT): Promise<Buffer> {
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    throw new ApiError('RequestTooLarge', `request body of ${declared} bytes is over the limit of ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) {
      req.resume();
      throw new ApiError('RequestTooLarge', `request body is over the limit of ${limit} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
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
