import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, onTestFinished, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CORRAL_BIN, runProgram } from './helpers/cli.js';
import { testDir } from './helpers/control-plane.js';
import { eventually } from './helpers/eventually.js';
import { httpsReceiver, loopbackTls, startMailpit } from './helpers/receivers.js';
import { adminToken, startTestServer } from './helpers/server.js';

/** Running (a zombie nobody reaped is not). */
async function alive(pid: number): Promise<boolean> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => '');
  return stat !== '' && stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
}

const SLACK_URL_SECRET = 'T000/B000/slack-secret-path-1234';
const TEAMS_URL_SECRET = 'webhookb2/teams-secret-path-5678';
const PD_KEY = 'pd-routing-key-0123456789abcdef';
const SMTP_PASSWORD = 'smtp-secret-password-42';

describe('notifiers', () => {
  test('Slack, Teams, PagerDuty, webhook and email (STARTTLS + auth) send a test message in their documented formats; credentials are sealed and never returned', async () => {
    const tls = await loopbackTls();
    const recv = await httpsReceiver(tls);
    const mail = await startMailpit(tls, 'alerts', SMTP_PASSWORD);
    const server = await startTestServer({
      env: { NODE_EXTRA_CA_CERTS: tls.caFile, CORRAL_PAGERDUTY_EVENTS_URL: `${recv.url}/v2/enqueue` },
    });
    // Stopped cleanly first, so Alertmanager and Prometheus stop with it.
    onTestFinished(() => server.stop().then(() => undefined));
    const admin = await adminToken(server);
    const c = await server.call('/v3/clusters', { token: admin, body: { name: 'prod' } });
    expect(c.status, c.text).toBe(201);
    const clusterId = c.json.id as string;

    const create = async (name: string, config: Record<string, unknown>) => {
      const r = await server.call('/v3/notifiers', { token: admin, body: { clusterId, name, ...config } });
      expect(r.status, r.text).toBe(201);
      return r;
    };
    const slack = await create('slack', {
      slackConfig: { url: `${recv.url}/services/${SLACK_URL_SECRET}`, defaultRecipient: '#alerts' },
    });
    const teams = await create('teams', { msteamsConfig: { url: `${recv.url}/${TEAMS_URL_SECRET}` } });
    const pd = await create('pd', { pagerdutyConfig: { serviceKey: PD_KEY } });
    const hook = await create('hook', { webhookConfig: { url: `${recv.url}/hook` } });
    const email = await create('mail', {
      smtpConfig: {
        host: '127.0.0.1',
        port: mail.smtpPort,
        username: 'alerts',
        password: SMTP_PASSWORD,
        sender: 'corral@example.com',
        defaultRecipient: 'oncall@example.com',
      },
    });
    expect(slack.json.id).toMatch(new RegExp(`^${clusterId}:n-[a-z0-9]{5}$`));
    expect(slack.json.kind).toBe('slack');
    expect(email.json.smtpConfig).toMatchObject({ host: '127.0.0.1', username: 'alerts', tls: true });

    // No credential in any answer, nor in the store's file.
    const listed = await server.call('/v3/notifiers', { token: admin });
    const everything = [slack, teams, pd, hook, email].map((r) => r.text).join('') + listed.text;
    for (const secret of [SLACK_URL_SECRET, TEAMS_URL_SECRET, PD_KEY, SMTP_PASSWORD])
      expect(everything).not.toContain(secret);
    const db = Buffer.concat(
      await Promise.all(
        ['corral.db', 'corral.db-wal'].map((f) => readFile(join(server.dataDir, f)).catch(() => Buffer.from(''))),
      ),
    );
    expect(db.includes('smtpConfig')).toBe(true);
    for (const secret of [SLACK_URL_SECRET, TEAMS_URL_SECRET, PD_KEY, SMTP_PASSWORD])
      expect(db.includes(secret)).toBe(false);

    const send = async (id: string) => {
      const r = await server.call(`/v3/notifiers/${id}?action=send`, {
        token: admin,
        body: { message: 'hello from the test' },
      });
      expect(r.status, r.text).toBe(200);
    };
    for (const n of [slack, teams, pd, hook, email]) await send(n.json.id as string);

    // Slack incoming webhook: JSON with `text` (required), the channel, attachments.
    const s = recv.got.find((g) => g.path === `/services/${SLACK_URL_SECRET}`)!;
    expect(s.headers['content-type']).toMatch(/application\/json/);
    expect(s.body).toMatchObject({ text: expect.stringContaining('[FIRING:1]'), channel: '#alerts' });
    expect(JSON.stringify(s.body.attachments)).toContain('hello from the test');
    // Teams: an Office 365 connector MessageCard.
    const t = recv.got.find((g) => g.path === `/${TEAMS_URL_SECRET}`)!;
    expect(t.body).toMatchObject({
      '@type': 'MessageCard',
      '@context': expect.any(String),
      summary: expect.any(String),
    });
    expect(String(t.body.text)).toContain('hello from the test');
    // PagerDuty Events API v2.
    const p = recv.got.find((g) => g.path === '/v2/enqueue')!;
    expect(p.body).toMatchObject({
      routing_key: PD_KEY,
      event_action: 'trigger',
      dedup_key: expect.any(String),
      payload: { summary: expect.stringContaining('hello from the test'), source: clusterId, severity: 'info' },
    });
    expect(String((p.body.payload as { summary: string }).summary).length).toBeLessThanOrEqual(1024);
    // The generic webhook gets Alertmanager's webhook payload (version 4), as Rancher's does.
    const h = recv.got.find((g) => g.path === '/hook')!;
    expect(h.body).toMatchObject({
      version: '4',
      status: 'firing',
      alerts: [{ status: 'firing', annotations: { message: 'hello from the test' } }],
    });
    // Email through STARTTLS with a password, read back from mailpit.
    const msgs = await eventually(async () => {
      const m = await mail.messages();
      if (!m.length) throw new Error('no mail yet');
      return m;
    }, 'the test mail to arrive');
    expect(msgs[0]!.To[0]!.Address).toBe('oncall@example.com');
    expect(msgs[0]!.From.Address).toBe('corral@example.com');
    expect(msgs[0]!.Subject).toContain('[FIRING:1]');
    expect(await mail.text(msgs[0]!.ID)).toContain('hello from the test');

    // GET-modify-PUT keeps the sealed credential; a new one replaces it.
    const got = (await server.call(`/v3/notifiers/${slack.json.id}`, { token: admin })).json;
    const put = await server.call(`/v3/notifiers/${slack.json.id}`, {
      token: admin,
      method: 'PUT',
      body: { ...got, description: 'renamed' },
    });
    expect(put.status, put.text).toBe(200);
    recv.got.length = 0;
    await send(slack.json.id as string);
    expect(recv.got[0]!.path).toBe(`/services/${SLACK_URL_SECRET}`);

    // Bad input: clear errors, nothing stored.
    const two = await server.call('/v3/notifiers', {
      token: admin,
      body: { clusterId, name: 'x', webhookConfig: { url: 'https://a' }, msteamsConfig: { url: 'https://b' } },
    });
    expect(two.status).toBe(422);
    expect(two.json.message).toMatch(/exactly one of/);
    const none = await server.call('/v3/notifiers', { token: admin, body: { clusterId, name: 'x' } });
    expect(none.status).toBe(422);
    const noUrl = await server.call('/v3/notifiers', { token: admin, body: { clusterId, name: 'x', slackConfig: {} } });
    expect(noUrl.status).toBe(422);
    expect(noUrl.json.fieldName).toMatch(/url/);
    const noCluster = await server.call('/v3/notifiers', {
      token: admin,
      body: { clusterId: 'c-nope1', name: 'x', webhookConfig: { url: 'https://a' } },
    });
    expect(noCluster.status).toBe(422);
    expect(noCluster.json.fieldName).toBe('clusterId');
    expect((await server.call('/v3/notifiers', { token: admin })).json.data).toHaveLength(5);

    // A wrong SMTP password is said as such, without the password.
    const wrong = await create('wrong', {
      smtpConfig: {
        host: '127.0.0.1',
        port: mail.smtpPort,
        username: 'alerts',
        password: 'not-the-password-99',
        sender: 'corral@example.com',
        defaultRecipient: 'oncall@example.com',
      },
    });
    const failed = await server.call(`/v3/notifiers/${wrong.json.id}?action=send`, { token: admin, body: {} });
    expect(failed.status).toBe(422);
    expect(failed.json.message).toMatch(/refused the username or password/);
    expect(failed.text).not.toContain('not-the-password-99');
    // A receiver that is down: named by its origin only (the Slack URL path is the secret).
    const down = await create('down', { slackConfig: { url: `https://127.0.0.1:1/services/${SLACK_URL_SECRET}` } });
    const unreachable = await server.call(`/v3/notifiers/${down.json.id}?action=send`, { token: admin, body: {} });
    expect(unreachable.status).toBe(422);
    expect(unreachable.json.message).toMatch(/could not reach https:\/\/127\.0\.0\.1:1/);
    expect(unreachable.text).not.toContain(SLACK_URL_SECRET);
    expect(server.stderr()).not.toContain(SMTP_PASSWORD);
  });

  test('the CLI: notifiers and alerts from files, listings as json and yaml, send, mute, help', async () => {
    const tls = await loopbackTls();
    const recv = await httpsReceiver(tls);
    const server = await startTestServer({ env: { NODE_EXTRA_CA_CERTS: tls.caFile } });
    onTestFinished(() => server.stop().then(() => undefined));
    const admin = await adminToken(server);
    const clusterId = (await server.call('/v3/clusters', { token: admin, body: { name: 'prod' } })).json.id as string;
    const home = await testDir('cli-alerts');
    await mkdir(join(home, 'tmp'));
    const ca = join(home, 'ca.pem');
    await writeFile(ca, server.ca);
    const env = {
      ...process.env,
      CORRAL_CONFIG: join(home, 'config'),
      HOME: home,
      TMPDIR: join(home, 'tmp'),
    };
    const ok = async (args: string[], input?: string) => {
      const r = await runProgram(process.execPath, [CORRAL_BIN, ...args], {
        env,
        ...(input === undefined ? {} : { input }),
      });
      if (r.code !== 0) throw new Error(`corral ${args.join(' ')} exited ${r.code}: ${r.stderr}${r.stdout}`);
      return r;
    };
    await ok(['login', server.url, '--token', admin, '--cacert', ca, '--name', 'test']);

    const created = await ok(
      ['notifiers', 'create', '-f', '-', '-o', 'json'],
      JSON.stringify({ clusterId, name: 'chat', slackConfig: { url: `${recv.url}/services/${SLACK_URL_SECRET}` } }),
    );
    const n = JSON.parse(created.stdout);
    expect(n.kind).toBe('slack');
    expect(created.stdout).not.toContain(SLACK_URL_SECRET);
    const listed = JSON.parse((await ok(['notifiers', 'ls', '-o', 'json'])).stdout);
    expect(listed.map((x: { id: string }) => x.id)).toEqual([n.id]);
    const sent = await ok(['notifiers', 'send', n.id, '--message', 'from the CLI']);
    expect(sent.stderr).toContain('Sent a test message');
    expect(JSON.stringify(recv.got[0]!.body)).toContain('from the CLI');

    const groupFile = join(home, 'group.yaml');
    await writeFile(groupFile, `clusterId: ${clusterId}\nname: nodes\nrecipients:\n- notifierId: ${n.id}\n`);
    const group = JSON.parse((await ok(['alerts', 'groups', 'create', '-f', groupFile, '-o', 'json'])).stdout);
    expect(group).toMatchObject({ groupWaitSeconds: 30, groupIntervalSeconds: 180, repeatIntervalSeconds: 3600 });
    const ruleFile = join(home, 'rule.yaml');
    await writeFile(
      ruleFile,
      `clusterId: ${clusterId}\ngroupId: ${group.id}\nname: down\nnodeRule:\n  condition: notready\n`,
    );
    const rule = JSON.parse((await ok(['alerts', 'rules', 'create', '-f', ruleFile, '-o', 'json'])).stdout);
    const table = (await ok(['alerts', 'ls'])).stdout;
    expect(table).toMatch(/FIRING.?SINCE/i);
    expect(table).toContain(rule.id);
    expect((await ok(['alerts', 'mute', rule.id])).stderr).toContain('is muted');
    const yaml = parseYaml((await ok(['alerts', 'ls', '-o', 'yaml'])).stdout) as { id: string; state: string }[];
    expect(yaml.find((r) => r.id === rule.id)!.state).toBe('muted');
    const bad = await runProgram(process.execPath, [CORRAL_BIN, 'alerts', 'unmute', 'c-nope1:r-zzzzz'], { env });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/not found/i);
    for (const help of [
      ['alerts', '--help'],
      ['notifiers', '--help'],
      ['alerts', 'rules', 'create', '--help'],
    ])
      expect((await ok(help)).stdout).toMatch(/Usage: corral/);

    // A killed server leaves its Alertmanager behind (children outlive SIGKILL); the next start
    // ends that one and runs its own.
    const pidFile = join(server.dataDir, 'alertmanager', 'alertmanager.pid');
    const oldPid = Number(await readFile(pidFile, 'utf8'));
    await server.kill9();
    expect(await alive(oldPid)).toBe(true);
    const again = await startTestServer({ dataDir: server.dataDir, env: { NODE_EXTRA_CA_CERTS: tls.caFile } });
    onTestFinished(() => again.stop().then(() => undefined));
    await eventually(async () => {
      if (Number(await readFile(pidFile, 'utf8').catch(() => '0')) === oldPid) throw new Error('same Alertmanager');
    }, 'a new Alertmanager');
    expect(await alive(oldPid)).toBe(false);

    // A deleted cluster takes its notifiers, alert groups and rules along, as in Rancher.
    const del = await again.call(`/v3/clusters/${clusterId}`, { token: admin, method: 'DELETE' });
    expect(del.status, del.text).toBeLessThan(300);
    await eventually(async () => {
      for (const plural of ['notifiers', 'clusterAlertGroups', 'clusterAlertRules']) {
        const left = (await again.call(`/v3/${plural}`, { token: admin })).json.data as unknown[];
        if (left.length) throw new Error(`${plural}: ${left.length} left`);
      }
    }, 'the cluster’s alert objects to go');
  });
});
