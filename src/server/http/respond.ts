import type { ServerResponse } from 'node:http';
import { errorBody, toApiError } from './errors.js';

const SECURITY_HEADERS = {
  'strict-transport-security': 'max-age=31536000',
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string | string[]> = {},
): void {
  const payload = JSON.stringify(body);
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(payload),
    ...headers,
  });
  res.end(payload);
}

export function sendText(
  res: ServerResponse,
  status: number,
  body: string,
  contentType = 'text/plain; charset=utf-8',
  headers: Record<string, string | string[]> = {},
): void {
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    'content-type': contentType,
    'content-length': Buffer.byteLength(body),
    ...headers,
  });
  res.end(body);
}

/** Sends any thrown value as a Rancher-style error; returns the status sent. */
export function sendError(res: ServerResponse, err: unknown): number {
  const apiErr = toApiError(err);
  if (!res.headersSent) sendJson(res, apiErr.status, errorBody(apiErr), apiErr.headers);
  else res.destroy();
  return apiErr.status;
}
