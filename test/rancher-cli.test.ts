import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { stringify } from 'yaml';
import { binaryPath } from '../src/kube/binaries.js';
import { importWithAgent, kubectlWith } from './helpers/clusters.js';
import { kubectl, startTestControlPlane } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';
import { RANCHER_BIN, rancherCli, runWith } from './helpers/rancher-cli.js';
import { adminToken, startTestServer } from './helpers/server.js';

/** Rows of a table the CLI printed, split on runs of spaces, header row first. */
const rows = (table: string) =>
  table
    .trim()
    .split('\n')
    .map((l) => l.trim().split(/\s{2,}/));

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
    // A workload and a pod no workload owns in team-a, for `rancher ps`.
    await kubectl(cp, 'create', 'namespace', 'apps');
    const moved = await server.call(`/v3/cluster/${clusterId}/namespaces/apps?action=move`, {
      token: admin,
      body: { projectId: teamA },
    });
    expect(moved.status, moved.text).toBe(200);
    await kubectl(cp, 'create', 'deployment', 'web', '-n', 'apps', '--image=nginx:1.27');
    // The namespace's default service account comes a moment after the namespace.
    await eventually(() => kubectl(cp, 'run', 'lone', '-n', 'apps', '--image=busybox:1.36'), 'a lone pod in apps');

    const rancher = await rancherCli(server.ca);
    const run = async (args: string[], input?: string) => {
      const r = await rancher.run(args, input);
      expect(r.code, `rancher ${args.join(' ')}:\n${r.stdout}\n${r.stderr}`).toBe(0);
      return r.stdout;
    };

    // Three projects: the CLI lists them (in the server's order, by id) and asks for a number.
    const listed = [`${clusterId}:p-default`, `${clusterId}:p-system`, teamA].sort();
    const answer = `${listed.indexOf(teamA) + 1}\n`;
    const login = await run(['login', server.url, '--token', admin, '--cacert', rancher.caFile], answer);
    const choices = rows(login.slice(0, login.indexOf('Select a Project:')));
    expect(choices[0]).toEqual(['NUMBER', 'CLUSTER NAME', 'PROJECT ID', 'PROJECT NAME', 'PROJECT DESCRIPTION']);
    const names: Record<string, string> = { [teamA]: 'team-a' };
    names[`${clusterId}:p-default`] = 'Default';
    names[`${clusterId}:p-system`] = 'System';
    expect(choices.slice(1).map((r) => r.slice(0, 4))).toEqual(
      listed.map((id, i) => [String(i + 1), 'rcli', id, names[id]]),
    );
    expect(await run(['context', 'current'])).toBe('Cluster:rcli Project:team-a\n');
    expect(await run(['server', 'current'])).toBe(`Name: rancherDefault URL: ${server.url}\n`);

    const clusters = rows(await run(['clusters', 'ls']));
    expect(clusters[0]!.slice(0, 6)).toEqual(['CURRENT', 'ID', 'STATE', 'NAME', 'PROVIDER', 'NODES']);
    expect(clusters[1]!.slice(0, 6)).toEqual(['*', clusterId, 'active', 'rcli', 'Imported', '1']);

    // The kubeconfig it prints reaches the cluster through the server.
    const kubeconfig = join(rancher.dir, 'rcli.yaml');
    const kc = await run(['clusters', 'kubeconfig', 'rcli']);
    expect(kc).toContain(`server: ${server.url}/k8s/clusters/${clusterId}`);
    await writeFile(kubeconfig, kc);
    const viaKubeconfig = await kubectlWith(kubeconfig, 'get', 'ns', 'apps', '-o', 'name');
    expect(viaKubeconfig.stdout.trim(), viaKubeconfig.stderr).toBe('namespace/apps');

    expect(await run(['projects', 'create', 'team-b'])).toBe('');
    const projects = rows(await run(['projects', 'ls']));
    expect(projects[0]).toEqual(['ID', 'NAME', 'STATE', 'DESCRIPTION']);
    expect(
      projects
        .slice(1)
        .map((r) => r[1])
        .sort(),
    ).toEqual(['Default', 'System', 'team-a', 'team-b']);
    const teamB = projects.find((r) => r[1] === 'team-b')![0]!;
    expect(teamB).toMatch(new RegExp(`^${clusterId}:p-[a-z0-9]{5}$`));

    // Namespaces are those of the current project; new ones go into it.
    await run(['context', 'switch', teamB]);
    expect(await run(['context', 'current'])).toBe('Cluster:rcli Project:team-b\n');
    expect(rows(await run(['namespaces', 'ls']))).toEqual([['ID', 'NAME', 'STATE', 'PROJECT', 'DESCRIPTION']]);
    await run(['namespaces', 'create', 'made-by-cli']);
    const ns = await server.call(`/v3/clusters/${clusterId}/namespaces/made-by-cli`, { token: admin });
    expect(ns.json.projectId).toBe(teamB);
    expect(rows(await run(['namespaces', 'ls'])).slice(1)).toEqual([['made-by-cli', 'made-by-cli', 'active', teamB]]);
    await run(['namespaces', 'rm', 'made-by-cli']);
    await eventually(async () => {
      const r = await kubectl(cp, 'get', 'ns', 'made-by-cli', '--ignore-not-found', '-o', 'jsonpath={.status.phase}');
      if (r.stdout !== '' && r.stdout !== 'Terminating') throw new Error(r.stdout);
    }, 'made-by-cli to be going');

    // `rancher kubectl` runs the real kubectl with a kubeconfig from the server.
    const allNs = rows(await run(['kubectl', 'get', 'ns']));
    expect(allNs.map((r) => r[0])).toEqual(expect.arrayContaining(['apps', 'corral-system', 'default', 'kube-system']));
    const pods = await eventually(async () => {
      const out = await run(['kubectl', 'get', 'pods', '-A']);
      if (!/^apps\s+web-/m.test(out) || !/^apps\s+lone\s/m.test(out)) throw new Error(out);
      return out;
    }, 'the pods to be listed');
    expect(pods).toMatch(/^corral-system\s+corral-agent-/m);

    const settings = rows(await run(['settings', 'ls']));
    expect(settings[0]).toEqual(['ID', 'NAME', 'VALUE']);
    expect(settings).toContainEqual(['password-min-length', 'password-min-length', '12']);

    // Workloads and the pods no workload owns, of the current project (team-a).
    await run(['context', 'switch', teamA]);
    const ps = rows(await run(['ps']));
    expect(ps[0]).toEqual(['NAMESPACE', 'NAME', 'TYPE', 'STATE', 'IMAGE', 'SCALE']);
    expect(ps.slice(1).map((r) => [r[0], r[1], r[2], r[4], r[5]])).toEqual([
      ['apps', 'web', 'Deployment', 'nginx:1.27', '1'],
      ['apps', 'lone', 'Pod', 'busybox:1.36', 'Standalone'],
    ]);

    const nodes = rows(await run(['nodes', 'ls']));
    expect(nodes[0]).toEqual(['ID', 'NAME', 'STATE', 'DESCRIPTION']);
    expect(nodes.slice(1)).toEqual([[`${clusterId}:rcli-node-0`, 'rcli-node-0', 'active']]);

    // `rancher token` as kubectl's credential plugin: it logs in (username and password on its
    // standard input) and hands kubectl a token for this cluster.
    const users = await server.call('/v3/users?username=admin', { token: admin });
    const adminId = users.json.data[0].id as string;
    const pluginConfig = join(rancher.dir, 'plugin.yaml');
    await writeFile(
      pluginConfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'rcli',
            cluster: { server: `${server.url}/k8s/clusters/${clusterId}`, 'certificate-authority': rancher.caFile },
          },
        ],
        users: [
          {
            name: 'rancher',
            user: {
              exec: {
                apiVersion: 'client.authentication.k8s.io/v1beta1',
                command: RANCHER_BIN,
                args: [
                  'token',
                  '--server',
                  server.url,
                  '--user',
                  adminId,
                  '--cluster',
                  clusterId,
                  '--cacerts',
                  rancher.caFile,
                  '--auth-provider',
                  'localProvider',
                ],
                interactiveMode: 'IfAvailable',
                // Its own config folder, whoever runs kubectl: the token is cached there.
                env: [{ name: 'RANCHER_CONFIG_DIR', value: rancher.dir }],
              },
            },
          },
        ],
        contexts: [{ name: 'rcli', context: { cluster: 'rcli', user: 'rancher' } }],
        'current-context': 'rcli',
      }),
    );
    // It reads the password from a terminal: `script` gives kubectl (and so the plugin) one.
    const command = [await binaryPath('kubectl'), '--kubeconfig', pluginConfig, 'get', 'ns', 'apps', '-o', 'name'];
    const viaPlugin = await runWith(
      'script',
      ['-qec', command.map((a) => `'${a}'`).join(' '), '/dev/null'],
      rancher.env,
      'admin\nadmin-password-changed-1\n',
    );
    expect(viaPlugin.stdout, viaPlugin.stderr).toMatch(/^namespace\/apps\r?$/m);
    // The token it got is cached for the next kubectl run, and is not the one `rancher login` was given.
    const cached = JSON.parse(await readFile(join(rancher.dir, 'cli2.json'), 'utf8'));
    const credential = cached.Servers[server.url].kubeCredentials[`${adminId}_${clusterId}`];
    expect(credential.status.token).toMatch(/^token-[a-z0-9]+:/);
    expect(credential.status.token).not.toBe(admin);
    const again = await kubectlWith(pluginConfig, 'get', 'ns', 'apps', '-o', 'name');
    expect(again.stdout.trim(), again.stderr).toBe('namespace/apps');
  });

  test("what Rancher's clients rely on, on the wire: schemas headers, lenient reads, strict writes", async () => {
    const server = await startTestServer();
    const admin = await adminToken(server);
    const get = (path: string) => server.call(path, { token: admin });

    // Every reply of an API names its schemas; a cluster and a project are APIs of their own.
    for (const [path, schemas] of [
      ['/v3', '/v3/schemas'],
      ['/v3/users', '/v3/schemas'],
      ['/v3/clusters/c-abcde/schemas', '/v3/clusters/c-abcde/schemas'],
      ['/v3/projects/c-abcde:p-abcde/schemas', '/v3/projects/c-abcde:p-abcde/schemas'],
      ['/v1', '/v1/schemas'],
    ]) {
      const r = await get(path!);
      expect(r.status, `${path}: ${r.text}`).toBe(200);
      expect(r.headers['x-api-schemas'], path).toBe(`${server.url}${schemas}`);
    }
    expect((await get('/v1')).json).toMatchObject({ type: 'apiRoot', links: { schemas: `${server.url}/v1/schemas` } });
    const clusterSchemas = (await get('/v3/clusters/c-abcde/schemas')).json.data;
    expect(clusterSchemas.map((s: { id: string }) => s.id)).toEqual(['namespace']);
    expect(clusterSchemas[0].links.collection).toBe(`${server.url}/v3/clusters/c-abcde/namespaces`);
    const projectSchemas = (await get('/v3/projects/c-abcde:p-abcde/schemas')).json.data;
    expect(projectSchemas.map((s: { id: string }) => s.id).sort()).toEqual(['pod', 'workload']);
    expect((await get('/v3/schemas/node')).json.links.collection).toBe(`${server.url}/v3/nodes`);
    // Scoped types are not in the top-level API.
    expect((await get('/v3/schemas/namespace')).status).toBe(404);

    // Unknown API paths are JSON errors, never the web UI's page.
    for (const path of ['/v1-public/authProviders', '/v1/nothing', '/v3/nothing']) {
      const r = await get(path);
      expect(r.status, path).toBe(404);
      expect(r.json, path).toMatchObject({ type: 'error', code: 'NotFound' });
    }

    // Reads: limit=-1 is "as many as allowed", unknown filters are ignored, known ones filter.
    const all = await get('/v3/settings?limit=-1&removed_null=1&system=false&all=true&state_ne=inactive');
    expect(all.status, all.text).toBe(200);
    expect(all.json.pagination.limit).toBe(5000);
    expect(all.json.data.length).toBeGreaterThan(5);
    const one = await get('/v3/settings?name=password-min-length&removed_null=1');
    expect(one.json.data.map((s: { id: string }) => s.id)).toEqual(['password-min-length']);
    expect((await get('/v3/settings?limit=0')).status).toBe(422);

    // Writes: Rancher's read-only envelope is accepted and ignored; any other unknown field is not.
    const envelope = { id: null, type: 'project', baseType: 'project', links: null, actions: {} };
    const created = await server.call('/v3/globalRoles', {
      token: admin,
      body: {
        ...envelope,
        type: 'globalRole',
        name: 'cli-role',
        rules: [{ verbs: ['get'], resources: ['settings'], apiGroups: ['management.cattle.io'] }],
      },
    });
    expect(created.status, created.text).toBe(201);
    const updated = await server.call(`/v3/globalRoles/${created.json.id}`, {
      method: 'PUT',
      token: admin,
      body: { ...created.json, description: 'from a Rancher client' },
    });
    expect(updated.status, updated.text).toBe(200);
    expect(updated.json.description).toBe('from a Rancher client');
    const unknown = await server.call('/v3/globalRoles', { token: admin, body: { ...envelope, name: 'x', bogus: 1 } });
    expect(unknown.status).toBe(422);
    expect(unknown.json.code).toBe('UnknownField');

    // `rancher token` logs in asking for a kubeconfig token, for all clusters or one.
    for (const responseType of ['kubeconfig', 'kubeconfig_c-abcde']) {
      const r = await server.call('/v3-public/localProviders/local?action=login', {
        body: { responseType, username: 'admin', password: 'admin-password-changed-1' },
      });
      expect(r.status, r.text).toBe(201);
      expect(r.json.token).toMatch(/^token-[a-z0-9]+:/);
    }
  });
});
