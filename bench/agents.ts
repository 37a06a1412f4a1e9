// 200 agents connected to one server (all fronting one real API server): the server's memory per
// connected cluster, against the same server with no agents, and the time for all of them to be
// connected again after a server restart. Usage: npm run bench:agents [-- count]
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAgent, type RunningAgent } from '../src/agent/agent.js';
import { startControlPlane } from '../src/localcluster/control-plane.js';
import {
  benchAgentKubeconfig,
  benchAdmin,
  jsonClient,
  rssKiB,
  startBenchServer,
  type BenchServer,
  waitUntil,
} from './lib/harness.js';

const COUNT = Number(process.argv[2] ?? 200);

async function connectedTunnels(server: BenchServer, token: string): Promise<number> {
  const r = await jsonClient(server.url, { ca: server.ca }, token).call('GET', '/metrics');
  return Number(/corral_cluster_connections\{kind="tunnel"\} (\d+)/.exec(r.text)?.[1] ?? 0);
}

const root = await mkdtemp(join(tmpdir(), 'corral-bench-agents-'));
const cp = await startControlPlane({ dir: join(root, 'cp'), name: 'agents' });
let server = await startBenchServer(join(root, 'server'));
const agents: RunningAgent[] = [];
try {
  const agentKc = await benchAgentKubeconfig(cp, root);

  const { token, api } = await benchAdmin(server);
  const checksum = (await api.call('GET', '/v3/settings/cacerts')).json.checksum as string;
  await new Promise((r) => setTimeout(r, 2000));
  const idleRss = await rssKiB(server.pid);

  const clusters: { id: string; token: string }[] = [];
  for (let i = 0; i < COUNT; i++) {
    const c = await api.call('POST', '/v3/clusters', { name: `agent-${i}` });
    const reg = (await api.call('GET', `/v3/clusterRegistrationTokens?clusterId=${c.json.id}`)).json.data[0];
    clusters.push({ id: c.json.id, token: reg.token });
  }
  const withClustersRss = await rssKiB(server.pid);
  const t0 = performance.now();
  for (const c of clusters) {
    agents.push(
      startAgent({
        serverUrl: server.url,
        token: c.token,
        clusterId: c.id,
        caChecksum: checksum,
        kubeconfig: agentKc,
        version: 'bench',
        log: () => {},
      }),
    );
  }
  await waitUntil(async () => (await connectedTunnels(server, token)) === COUNT, `${COUNT} tunnels`);
  const firstConnectMs = performance.now() - t0;
  await waitUntil(async () => {
    const list = await api.call('GET', '/v3/clusters?state=active&limit=1000');
    return list.json.data.length === COUNT;
  }, `${COUNT} clusters active`);
  await new Promise((r) => setTimeout(r, 3000));
  const connectedRss = await rssKiB(server.pid);

  // Restart the server on the same port and data; time until every agent is back.
  const port = server.port;
  await server.stop();
  const restartAt = performance.now();
  server = await startBenchServer(join(root, 'server'), port);
  const serving = performance.now() - restartAt;
  const again = await benchAdmin(server);
  await waitUntil(
    async () => (await connectedTunnels(server, again.token)) === COUNT,
    `${COUNT} tunnels after restart`,
  );
  const reconnectMs = performance.now() - restartAt;

  console.log(`\n${COUNT} agents, one server (2-core machine; agents and API server on the same host)`);
  console.log(`server RSS, no clusters:            ${(idleRss / 1024).toFixed(1)} MiB (baseline)`);
  console.log(`server RSS, ${COUNT} clusters, no agents: ${(withClustersRss / 1024).toFixed(1)} MiB`);
  console.log(`server RSS, ${COUNT} agents connected:   ${(connectedRss / 1024).toFixed(1)} MiB`);
  console.log(
    `memory per connected cluster:       ${((connectedRss - idleRss) / COUNT).toFixed(0)} KiB (tunnel and health: ${((connectedRss - withClustersRss) / COUNT).toFixed(0)} KiB)`,
  );
  console.log(`first connection of all agents:     ${(firstConnectMs / 1000).toFixed(2)} s`);
  console.log(
    `after a server restart: serving in ${(serving / 1000).toFixed(2)} s, all ${COUNT} agents back in ${(reconnectMs / 1000).toFixed(2)} s`,
  );
} finally {
  await Promise.all(agents.map((a) => a.stop()));
  await server.stop();
  await cp.stop();
  await rm(root, { recursive: true, force: true });
}
