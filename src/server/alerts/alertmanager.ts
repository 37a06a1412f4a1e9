import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { writeSecretFile } from '../../util/secret-file.js';
import type { Logger } from '../log.js';
import { LoopbackProcess } from '../monitoring/loopback-process.js';

/** An alert group as Alertmanager routes it. */
export interface RoutedGroup {
  id: string;
  groupWaitSeconds: number;
  groupIntervalSeconds: number;
  repeatIntervalSeconds: number;
}

/** What Corral posts to /api/v2/alerts. */
export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
}

/**
 * alertmanager.yml for Corral's groups: one route per group, matched by its `group_id` label and
 * grouped by it alone (one message per group), with the group's timings; every receiver is
 * Corral's own relay, which sends through the group's notifiers. Credentials therefore never reach
 * Alertmanager's config: it knows only the relay's URL and a bearer token file.
 */
export function alertmanagerConfig(groups: RoutedGroup[], relayUrl: string, tokenFile: string): string {
  const sorted = [...groups].sort((a, b) => a.id.localeCompare(b.id));
  return stringify({
    route: {
      receiver: 'corral-none',
      group_by: ['group_id'],
      routes: sorted.map((g) => ({
        receiver: g.id,
        matchers: [`group_id="${g.id}"`],
        group_by: ['group_id'],
        group_wait: `${g.groupWaitSeconds}s`,
        group_interval: `${g.groupIntervalSeconds}s`,
        repeat_interval: `${g.repeatIntervalSeconds}s`,
      })),
    },
    receivers: [
      { name: 'corral-none' },
      ...sorted.map((g) => ({
        name: g.id,
        webhook_configs: [
          {
            url: `${relayUrl}/${encodeURIComponent(g.id)}`,
            send_resolved: true,
            max_alerts: 0,
            http_config: { authorization: { type: 'Bearer', credentials_file: tokenFile } },
          },
        ],
      })),
    ],
  });
}

/** Where the Alertmanager binary is: CORRAL_ALERTMANAGER_BIN, else Debian's or upstream's name. */
export function alertmanagerBinary(): string | undefined {
  const candidates = [
    process.env.CORRAL_ALERTMANAGER_BIN,
    '/usr/bin/prometheus-alertmanager',
    '/usr/local/bin/alertmanager',
    '/usr/bin/alertmanager',
  ];
  return candidates.find((c): c is string => !!c && existsSync(c));
}

/**
 * A real Alertmanager run beside the server (loopback only, clustering off), started when the
 * first alert group exists and stopped when the last goes: no groups, no process. Its state
 * (silences, notification log) lives in `<data-dir>/alertmanager`.
 */
export class Alertmanager {
  private readonly proc: LoopbackProcess;
  private config = '';
  private starting?: Promise<void>;

  constructor(
    private readonly dir: string,
    log: Logger,
  ) {
    this.proc = new LoopbackProcess('alertmanager', log, () => (this.config = ''));
  }

  get running(): boolean {
    return this.proc.running;
  }

  get url(): string {
    return this.proc.url;
  }

  /** Runs Alertmanager with `config`, starting it or reloading it as needed. */
  async ensure(config: string): Promise<void> {
    if (this.starting) await this.starting;
    const file = join(this.dir, 'alertmanager.yml');
    if (this.running && config === this.config) return;
    await mkdir(join(this.dir, 'data'), { recursive: true, mode: 0o700 });
    await writeFile(file, config, { mode: 0o600 });
    if (this.running) {
      await this.proc.reload();
      this.config = config;
      return;
    }
    const bin = alertmanagerBinary();
    if (!bin)
      throw new Error(
        'Alertmanager is not installed: apt-get install prometheus-alertmanager, or set CORRAL_ALERTMANAGER_BIN',
      );
    this.starting = this.proc.start(
      bin,
      (listen) => [
        `--config.file=${file}`,
        `--storage.path=${join(this.dir, 'data')}`,
        `--web.listen-address=${listen}`,
        // One Alertmanager per replica, no gossip: an empty address turns clustering off.
        '--cluster.listen-address=',
        '--log.format=json',
      ],
      30_000,
      join(this.dir, 'alertmanager.pid'),
      file,
    );
    try {
      await this.starting;
      this.config = config;
    } finally {
      this.starting = undefined;
    }
  }

  async stop(): Promise<void> {
    this.config = '';
    await this.proc.stop(5000);
  }

  async post(alerts: PostableAlert[]): Promise<void> {
    if (!alerts.length) return;
    await this.call('POST', '/api/v2/alerts', alerts);
  }

  /** Silences Corral made (`createdBy: corral`), active ones only. */
  async silences(): Promise<{ id: string; matchers: { name: string; value: string }[] }[]> {
    const all = (await this.call('GET', '/api/v2/silences')) as {
      id: string;
      createdBy: string;
      status: { state: string };
      matchers: { name: string; value: string }[];
    }[];
    return all.filter((s) => s.createdBy === 'corral' && s.status.state !== 'expired');
  }

  async silence(label: string, value: string, comment: string): Promise<void> {
    const now = Date.now();
    await this.call('POST', '/api/v2/silences', {
      matchers: [{ name: label, value, isRegex: false, isEqual: true }],
      startsAt: new Date(now).toISOString(),
      // Muted until unmuted; Alertmanager needs an end, so a far one.
      endsAt: new Date(now + 10 * 365 * 86400_000).toISOString(),
      createdBy: 'corral',
      comment,
    });
  }

  async expireSilence(id: string): Promise<void> {
    await this.call('DELETE', `/api/v2/silence/${encodeURIComponent(id)}`);
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.url}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`Alertmanager ${method} ${path}: ${res.status} ${text.trim().slice(0, 300)}`);
    return text ? JSON.parse(text) : undefined;
  }
}

/** A random bearer token for the relay, in a 0600 file Alertmanager reads. */
export async function relayTokenFile(dir: string, token: string): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const file = join(dir, 'relay-token');
  await writeSecretFile(file, token);
  return file;
}
