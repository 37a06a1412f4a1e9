/**
 * The server's log: one JSON object per line on stderr. Every message and field passes through
 * redact(), so a token, password or cookie that slips into an error message is still not logged.
 */
const TOKEN = /\b(token-[a-z0-9]{5,}):[A-Za-z0-9]+/g;
const SENSITIVE_KEY = /pass(word)?|secret|token|cookie|authorization|credential|private|key$|kubeconfig/i;

export function redact(value: unknown, key = ''): unknown {
  if (SENSITIVE_KEY.test(key) && value !== undefined && value !== null && value !== '') return '[redacted]';
  if (typeof value === 'string') return value.replace(TOKEN, '$1:[redacted]');
  if (Array.isArray(value)) return value.map((v) => redact(v));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redact(v, k)]));
  }
  return value;
}

export type Level = 'debug' | 'info' | 'warn' | 'error';
const ORDER: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

export function createLogger(
  minLevel: Level = 'info',
  write: (line: string) => void = (l) => process.stderr.write(l),
): Logger {
  const log = (level: Level, msg: string, fields?: Record<string, unknown>) => {
    if (ORDER[level] < ORDER[minLevel]) return;
    const entry = { time: new Date().toISOString(), level, msg: redact(msg), ...(redact(fields ?? {}) as object) };
    write(JSON.stringify(entry) + '\n');
  };
  return {
    debug: (m, f) => log('debug', m, f),
    info: (m, f) => log('info', m, f),
    warn: (m, f) => log('warn', m, f),
    error: (m, f) => log('error', m, f),
  };
}
