import { createWriteStream, type WriteStream } from 'node:fs';
import { chmod } from 'node:fs/promises';
import { redact } from './log.js';

export interface AuditEntry {
  time: string;
  requestId: string;
  userId?: string;
  method: string;
  path: string;
  action?: string;
  status: number;
  remoteAddress: string;
  durationMs: number;
}

/** Paths that carry a credential in themselves (the import manifest URL holds a registration token). */
const SECRET_PATHS = /^(\/v3\/import\/)[^/]+/;

/**
 * One JSON line per write request: who, what, when, result. No bodies and no headers are ever
 * written, and query strings keep only their keys (and the action name), so nothing secret can
 * reach the file even by mistake.
 */
export class AuditLog {
  private readonly stream: WriteStream;

  private constructor(stream: WriteStream) {
    this.stream = stream;
  }

  static async open(path: string): Promise<AuditLog> {
    const stream = createWriteStream(path, { flags: 'a', mode: 0o600 });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', reject);
    });
    await chmod(path, 0o600);
    return new AuditLog(stream);
  }

  static describePath(url: URL): { path: string; action?: string } {
    const keys = [...new Set(url.searchParams.keys())].filter((k) => k !== 'action');
    const action = url.searchParams.get('action') ?? undefined;
    const path = url.pathname.replace(SECRET_PATHS, '$1[redacted]') + (keys.length ? `?${keys.join('&')}` : '');
    return { path, action };
  }

  record(entry: AuditEntry): void {
    this.stream.write(JSON.stringify(redact(entry)) + '\n');
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.stream.end(resolve));
  }
}
