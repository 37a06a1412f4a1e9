import type { ControlPlane, ControlPlaneOptions } from '../../src/localcluster/control-plane.js';
import { launchBrowser, signIn, startUiServer, type LaunchedBrowser, type UiServer } from '../helpers/browser.js';
import { registerDirect } from '../helpers/clusters.js';
import { startTestControlPlane } from '../helpers/control-plane.js';

export interface UiWorld {
  ui: UiServer;
  cp: ControlPlane;
  clusterId: string;
  b: LaunchedBrowser;
  stop(): Promise<void>;
}

/**
 * What a cluster-explorer test file needs once (each is slow to start): a real server, a real
 * control plane registered as `clusterName`, and Chromium signed in as the admin.
 */
export async function startUiWorld(clusterName: string, cpOpts: Partial<ControlPlaneOptions> = {}): Promise<UiWorld> {
  const [ui, cp] = await Promise.all([
    startUiServer({ manual: true }),
    startTestControlPlane({ nodes: 1, ...cpOpts, manual: true }),
  ]);
  const clusterId = await registerDirect(ui.server, ui.adminToken, cp, clusterName);
  const b = await launchBrowser({ manual: true, baseURL: ui.url });
  await signIn(b.context, ui.server, ui.adminUsername, ui.adminPassword);
  return {
    ui,
    cp,
    clusterId,
    b,
    async stop() {
      await b.close();
      await cp.stop();
      await ui.server.stop();
    },
  };
}
