import { describe, expect, test } from 'vitest';
import { kubectl, startTestControlPlane } from './helpers/control-plane.js';
import { importWithAgent } from './helpers/clusters.js';
import { eventually } from './helpers/eventually.js';
import { rancherCli } from './helpers/rancher-cli.js';
import { adminToken, startTestServer } from './helpers/server.js';

describe('the real Rancher CLI', () => {
  test('logs in with a token and works with clusters, projects, namespaces, kubectl, settings, workloads and nodes', async () => {
    const [server, cp] = await Promise.all([startTestServer(), startTestControlPlane({ name: 'rcli', nodes: 1 })]);
    const admin = await adminToken(server);
    const { clusterId } = await importWithAgent(server, admin, cp, 'rcli');
    await eventually(async () => {
      const r = await server.call(`/v3/projects?clusterId=${clusterId}`, { token: admin });
      if (r.json.data.length !== 2) throw new Error(r.text);
    }, 'the Default and System projects');
    const created = await server.call('/v3/projects', { token: admin, body: { name: 'team-a', clusterId } });
    expect(created.status, created.text).toBe(201);
    const teamA = created.json.id as string;

    const rancher = await rancherCli(server.ca);
    const run = async (args: string[], input?: string) => {
      const r = await rancher.run(args, input);
      expect(r.code, `rancher ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`).toBe(0);
      return r.stdout;
    };
    console.log(await run(['--debug', 'login', server.url, '--token', admin, '--cacert', rancher.caFile], '3\n'));
  });
});
