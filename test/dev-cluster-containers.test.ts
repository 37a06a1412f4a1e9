import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, test } from 'vitest';
import { binaryPath } from '../src/kube/binaries.js';
import { TOOLBOX_IMAGE } from '../src/images/system-images.js';
import { corral } from './helpers/cli.js';
import { testDir } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';
import { nodesScript } from './helpers/nodes.js';
import { cluster } from '../src/schema/types/cluster.js';
import { launchBrowser, screenshot, signIn, startUiServer } from './helpers/browser.js';
import { waitForState } from './helpers/clusters.js';

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

      await inTheBrowser(kubeconfig, k);

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

/**
 * The one browser test on a real container: Corral's UI, through Corral's proxy, opens a
 * shell in the running `hello` container (a real pty: the resize channel sets its size) and reads
 * its logs, and the previous instance's logs of a container that crashed.
 */
async function inTheBrowser(kubeconfig: string, k: (...args: string[]) => Promise<{ stdout: string }>) {
  const ui = await startUiServer({ manual: true });
  const b = await launchBrowser({ manual: true, baseURL: ui.url });
  try {
    const created = await ui.server
      .client(ui.adminToken)
      .create(cluster, { name: 'real', importedConfig: { kubeConfig: await readFile(kubeconfig, 'utf8') } });
    const clusterId = String(created.id);
    await waitForState(ui.server, ui.adminToken, clusterId, 'active');
    await k(
      'run',
      'crashy',
      `--image=${TOOLBOX_IMAGE}`,
      '--image-pull-policy=IfNotPresent',
      '--command',
      '--',
      'sh',
      '-c',
      'echo "run $(cat /proc/sys/kernel/random/uuid)"; sleep 1; exit 3',
    );
    await signIn(b.context, ui.server, ui.adminUsername, ui.adminPassword);
    const { page } = b;

    await page.goto(`/c/${clusterId}/pods/default/hello`);
    await page.getByRole('tab', { name: 'Logs' }).click();
    const log = page.getByRole('log', { name: 'Logs of container hello' });
    await expect.poll(() => log.textContent(), { timeout: 60_000 }).toBe('hello from hello\n');

    await page.getByRole('tab', { name: 'Shell' }).click();
    await page.getByRole('status').filter({ hasText: 'Connected' }).waitFor({ timeout: 60_000 });
    const terminal = page.getByRole('group', { name: 'Shell in container hello' });
    const rows = terminal.locator('.xterm-rows');
    await terminal.click();
    await page.keyboard.type('echo real-$((6*7)) on $(hostname); stty size\n');
    await expect.poll(() => rows.textContent(), { timeout: 30_000 }).toContain('real-42 on hello');
    // A real pty in the container, sized by the resize channel to the terminal on the page.
    const size = await eventually(async () => {
      const m = /^\s*(\d+) (\d+)\s*$/m.exec((await rows.innerText()).split('real-42 on hello')[1] ?? '');
      if (!m) throw new Error(await rows.innerText());
      return { rows: Number(m[1]), cols: Number(m[2]) };
    }, 'stty size in the shell');
    expect(size.rows).toBeGreaterThan(5);
    expect(size.cols).toBeGreaterThan(40);
    await screenshot(page, 'real-container-shell');
    await page.keyboard.type('exit\n');
    await page.getByRole('status').filter({ hasText: 'The shell ended.' }).waitFor({ timeout: 30_000 });

    // The previous (crashed) instance's logs, as kubectl sees them.
    const previous = await eventually(async () => {
      const r = await k('logs', 'crashy', '--previous');
      expect(r.stdout).toMatch(/^run [-0-9a-f]{36}\n$/);
      return r.stdout;
    }, 'crashy to have crashed once');
    await page.goto(`/c/${clusterId}/pods/default/crashy`);
    await page.getByRole('tab', { name: 'Logs' }).click();
    await page.getByLabel('Previous container').check();
    const crashed = page.getByRole('log', { name: 'Logs of container crashy' });
    await expect.poll(() => crashed.textContent(), { timeout: 30_000 }).toMatch(/^run [-0-9a-f]{36}\n$/);
    // The same instance kubectl called previous, unless it crashed once more in between.
    const now = (await k('logs', 'crashy', '--previous')).stdout;
    expect([previous, now]).toContain(await crashed.textContent());
  } finally {
    await b.close();
    await ui.server.stop();
  }
}
