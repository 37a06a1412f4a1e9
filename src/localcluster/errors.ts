import { stopProcess, tailLog, type ManagedProcess } from './processes.js';

/**
 * Stops what was started and builds an error that carries the last lines of each component's
 * log: a failed start must show why, not just that it failed.
 */
export async function failedStartError(what: string, cause: unknown, started: ManagedProcess[]): Promise<Error> {
  await Promise.all(started.map((p) => stopProcess(p, 3000)));
  const logs = await Promise.all(
    started.map(async (p) => `--- last lines of ${p.name} (${p.logFile}) ---\n${await tailLog(p.logFile)}`),
  );
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new Error(`${what} failed to start: ${reason}\n${logs.join('\n')}`, { cause });
}
