import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { removeLeftoverNodeSets } from './helpers/nodes.js';

declare module 'vitest' {
  export interface ProvidedContext {
    testRoot: string;
  }
}

/**
 * Every test's control planes live under one folder per run. Whatever a crashed test leaves
 * running is found by that folder in its command line and stopped at the end of the run.
 */
export async function setup(project: TestProject): Promise<() => Promise<void>> {
  const root = await mkdtemp(join(tmpdir(), 'corral-test-'));
  project.provide('testRoot', root);
  return async () => {
    for (const pid of await pidsMentioning(root)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await rm(root, { recursive: true, force: true });
    // Provisioner test nodes (network namespaces) are not found by folder: they have their own owner records.
    await removeLeftoverNodeSets();
  };
}

async function pidsMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    const pid = Number(entry);
    if (!Number.isInteger(pid) || pid === process.pid) continue;
    try {
      if ((await readFile(`/proc/${pid}/cmdline`, 'utf8')).includes(text)) pids.push(pid);
    } catch {
      // exited meanwhile
    }
  }
  return pids;
}
