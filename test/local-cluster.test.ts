import { join } from 'node:path';
import { expect, test } from 'vitest';
import { commandLine } from '../src/localcluster/processes.js';
import { generatedKubeconfig, kubectlWith, waitForState } from './helpers/clusters.js';
import { eventually } from './helpers/eventually.js';
import { adminToken, startTestServer } from './helpers/server.js';

async function processesMentioning(text: string): Promise<number[]> {
  const { readdir } = await import('node:fs/promises');
  const out: number[] = [];
  for (const e of await readdir('/proc')) {
    const pid = Number(e);
    if (Number.isInteger(pid) && (await commandLine(pid))?.some((a) => a.includes(text))) out.push(pid);
  }
  return out;
}

test('corral server --local-cluster: a real cluster named local, owned by the admin, stopped with the server', async () => {
  const server = await startTestServer({ args: ['--local-cluster'], manual: true });
  try {
    const admin = await adminToken(server);
    const local = await waitForState(server, admin, 'local', 'active');
    expect(local.driver).toBe('local');
    expect(local.nodeCount).toBe(1);
    const kc = await generatedKubeconfig(server, admin, 'local');
    const ns = await eventually(async () => {
      const r = await kubectlWith(kc, 'get', 'ns', '-o', 'name');
      if (r.code !== 0) throw new Error(r.stderr);
      return r.stdout;
    }, 'the admin to list namespaces of the local cluster');
    expect(ns).toContain('namespace/kube-system');
    expect((await processesMentioning(join(server.dataDir, 'local-cluster'))).length).toBeGreaterThanOrEqual(3);
  } finally {
    expect(await server.stop()).toBe(0);
  }
  expect(await processesMentioning(join(server.dataDir, 'local-cluster'))).toEqual([]);
});
