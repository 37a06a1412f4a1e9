import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestServer } from './server.js';

/** Everything the server wrote to disk or its logs, to look for secrets in. */
export async function everythingWritten(server: TestServer): Promise<string> {
  const files = await readdir(server.dataDir, { recursive: true });
  const contents = await Promise.all(
    files.map((f) =>
      readFile(join(server.dataDir, f)).then(
        (b) => b.toString('latin1'),
        () => '',
      ),
    ),
  );
  return [server.stdout(), server.stderr(), ...contents].join('\n');
}
