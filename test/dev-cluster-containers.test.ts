import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, test } from 'vitest';
import { binaryPath } from '../src/kube/binaries.js';
import { TOOLBOX_IMAGE } from '../src/images/system-images.js';
import { corral } from './helpers/cli.js';
import { testDir } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';
import { nodesScript } from './helpers/nodes.js';

const execFileP = promisify(execFile);

/**
 * `corral dev cluster up --runtime containerd`: a dev cluster whose node is a real host running
 * containerd and kubelet, where the toolbox image runs as a real container, and which `down`
 * removes with everything it ran.
 */
describe('corral dev cluster --runtime containerd', { timeout: 600_000 }, () => {
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    env = { CORRAL_HOME: await testDir('home-real') };
  });

  test('runs a real container, lists as running, and down removes its hosts', async () => {
    const name = `rt${process.pid.toString(36)}`;
    const upped = await corral(['dev', 'cluster', 'up', '--name', name, '--runtime', 'containerd', '-q'], env);
    try {
      expect(upped.code, upped.stderr).toBe(0);
      const kubeconfig = upped.stdout.trim();
      const kubectl = await binaryPath('kubectl');
      const k = (...args: string[]) => execFileP(kubectl, [`--kubeconfig=${kubeconfig}`, ...args]);
      await k(
        'run',
        'hello',
        `--image=${TOOLBOX_IMAGE}`,
        '--image-pull-policy=IfNotPresent',
        '--restart=Never',
        '--command',
        '--',
        'sh',
        '-c',
        'echo "hello from $(hostname)"; sleep 3600',
      );
      await k('wait', '--for=condition=Ready', 'pod/hello', '--timeout=180s');
      const logs = await eventually(async () => {
        const out = (await k('logs', 'hello')).stdout;
        expect(out).toContain('hello from hello');
        return out;
      }, 'the container to write its line');
      expect(logs.trim()).toBe('hello from hello');
      const node = (await k('get', 'pod', 'hello', '-o', 'jsonpath={.status.hostIP}')).stdout;
      expect(node).toMatch(/^10\.77\.\d+\.10$/);

      const ls = await corral(['dev', 'cluster', 'ls', '-o', 'json'], env);
      const listed = (JSON.parse(ls.stdout) as { name: string; status: string; runtime?: string }[]).find(
        (c) => c.name === name,
      );
      expect(listed).toMatchObject({ status: 'running', runtime: 'containerd' });
    } finally {
      const down = await corral(['dev', 'cluster', 'down', '--name', name], env);
      expect(down.code, down.stderr).toBe(0);
    }
    const sets = JSON.parse((await execFileP(nodesScript(), ['ls', '--json'])).stdout) as { name: string }[];
    expect(sets.map((s) => s.name)).not.toContain(`dev-${name}`);
    const gone = await corral(['dev', 'cluster', 'ls', '-o', 'json'], env);
    expect((JSON.parse(gone.stdout) as { name: string }[]).map((c) => c.name)).not.toContain(name);
  });

  test('refuses --port, which only kwok clusters take', async () => {
    const r = await corral(['dev', 'cluster', 'up', '--name', 'x', '--runtime', 'containerd', '--port', '7443'], env);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('--port is for kwok clusters');
  });
});
