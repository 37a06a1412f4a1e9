import { randomBytes } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createLeaderElector, openStore, type StoreConfig } from '../store/index.js';
import type { LeaderElector, Store } from '../store/types.js';
import { createApp } from './app.js';
import { AuditLog } from './audit.js';
import { bindGlobalRole, createUser, userIdForUsername } from './auth/users.js';
import { seedBuiltinRoles } from './authz/role-behaviors.js';
import { UserRules } from './authz/user-rules.js';
import { Registry } from './controllers/kit/metrics.js';
import { Memberships } from './clusters/memberships.js';
import { HotObjects } from './hot-objects.js';
import { StoreInformer } from './controllers/kit/store-informer.js';
import { startTokenCleanup } from './controllers/token-cleanup.js';
import { startGroupRefresh } from './auth/group-refresh.js';
import { startCatalogController } from './catalog/sync.js';
import { listenHttps, type Listening } from './http/server.js';
import type { Logger } from './log.js';
import { Settings } from './settings/behavior.js';
import { StoreFollower } from './store-follower.js';
import { loadServingTls } from './tls.js';
import { ClusterConnections } from './clusters/connections.js';
import { ClusterHealth } from './clusters/health.js';
import { CLUSTER_LEASE_TYPE, ClusterOwnership, REPLICA_HEARTBEAT_TYPE } from './clusters/ownership.js';
import { startPresenceController } from './clusters/presence.js';
import { SecretBox } from './secrets/encryption.js';
import { ProjectsController } from './projects/controller.js';
import { AlertsController } from './alerts/controller.js';
import { MonitoringController } from './monitoring/controller.js';

export interface ServerOptions {
  dataDir: string;
  /** host:port */
  listen: string;
  store: StoreConfig;
  tlsCert?: string;
  tlsKey?: string;
  serverUrl?: string;
  bootstrapPassword?: string;
  version: string;
  log: Logger;
  /** Leader lease for etcd-backed replicas. */
  leaseTtlSeconds?: number;
  /** Key for secrets at rest; default `<dataDir>/encryption-key`, created if missing. */
  encryptionKeyFile?: string;
  /** Start an embedded control plane and register it as cluster `local`. */
  localCluster?: boolean;
}

export interface RunningServer {
  url: string;
  port: number;
  caChecksum: string;
  /** Set when this start created the admin user. */
  bootstrap?: { username: string; password: string; generated: boolean };
  leader: LeaderElector;
  store: Store;
  connections: ClusterConnections;
  stop(): Promise<void>;
}

export function parseListen(listen: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(listen);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !Number.isInteger(port) || port < 0 || port > 65535) {
    throw new Error(`--listen must be host:port, such as 0.0.0.0:8443, not "${listen}"`);
  }
  return { host: m[1] ?? m[2] ?? '0.0.0.0', port };
}

/** Creates the admin user on an empty store. Returns its password when this call created it. */
async function bootstrapAdmin(store: Store, settings: Settings, wanted: string | undefined) {
  if (await userIdForUsername(store, 'admin')) return undefined;
  const password = wanted ?? randomBytes(15).toString('base64url');
  try {
    const admin = await createUser(store, settings, {
      username: 'admin',
      password,
      name: 'Default Admin',
      mustChangePassword: true,
    });
    await bindGlobalRole(store, admin.id, 'admin');
  } catch (err) {
    // Another replica bootstrapped at the same moment: its admin stands.
    if ((err as { code?: string }).code === 'NotUnique') return undefined;
    throw err;
  }
  return { username: 'admin', password, generated: wanted === undefined };
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const { host, port } = parseListen(opts.listen);
  await mkdir(opts.dataDir, { recursive: true, mode: 0o700 });
  const [store, tls] = await Promise.all([
    openStore(opts.store),
    loadServingTls({
      dataDir: opts.dataDir,
      serverUrl: opts.serverUrl,
      listenHost: host,
      tlsCert: opts.tlsCert,
      tlsKey: opts.tlsKey,
    }),
  ]);
  const settings = new Settings(store);
  const closers: (() => Promise<unknown>)[] = [() => store.close()];
  try {
    await Promise.all([settings.seed(), seedBuiltinRoles(store)]);
    await Promise.all([
      settings.setInternal('cacerts', tls.caPem),
      settings.setInternal('server-version', opts.version),
      opts.serverUrl ? settings.setInternal('server-url', opts.serverUrl.replace(/\/$/, '')) : Promise.resolve(),
    ]);
    const bootstrap = await bootstrapAdmin(store, settings, opts.bootstrapPassword);
    const userRules = new UserRules(store);
    const follower = new StoreFollower(store);
    follower.add(userRules);
    const memberships = new Memberships(store);
    follower.add(memberships);
    follower.add(settings);
    const hot = new HotObjects(store, follower);
    follower.add(hot);
    await follower.start();
    closers.unshift(async () => follower.stop());
    const audit = await AuditLog.open(join(opts.dataDir, 'audit.log'));
    closers.unshift(() => audit.close());

    const secretBox = await SecretBox.open(opts.encryptionKeyFile ?? join(opts.dataDir, 'encryption-key'));
    const connections = new ClusterConnections();
    closers.unshift(async () => connections.closeAll());
    if (opts.localCluster) {
      // Loaded only when asked for: it brings a Kubernetes client library.
      const { startLocalCluster } = await import('./clusters/local-cluster.js');
      const local = await startLocalCluster(store, secretBox, opts.dataDir, opts.log);
      closers.push(() => local.stop());
    }
    const registry = new Registry();
    hot.register(registry);
    const leader = createLeaderElector(store, {
      name: 'corral-controllers',
      ttlSeconds: opts.leaseTtlSeconds,
      onError: (err) => opts.log.warn('leader election', { error: String(err) }),
    });
    // Informers share the one store watch; they list before anything reads them.
    const clusters = new StoreInformer(store, 'cluster');
    const leases = new StoreInformer(store, CLUSTER_LEASE_TYPE);
    const heartbeats = new StoreInformer(store, REPLICA_HEARTBEAT_TYPE);
    follower.add(clusters);
    follower.add(leases);
    follower.add(heartbeats);
    await Promise.all([clusters.start(), leases.start(), heartbeats.start()]);
    const ownership = new ClusterOwnership(
      store,
      leases,
      heartbeats,
      connections,
      leader,
      randomBytes(8).toString('hex'),
    );
    await ownership.start();
    closers.unshift(() => ownership.stop());

    const health = new ClusterHealth({
      store,
      connections,
      secretBox,
      log: opts.log,
      ownership,
      clusters,
      registry,
    });
    health.start();
    closers.unshift(() => health.stop());

    const projects = new ProjectsController({ store, connections, ownership, log: opts.log, secretBox, registry });
    follower.add(projects);
    await projects.start();
    closers.unshift(() => projects.stop());

    // Every replica evaluates the alert rules of the clusters it owns and runs its own
    // Alertmanager (only while alert groups exist).
    const alerts = new AlertsController({
      clusters,
      store,
      follower,
      connections,
      ownership,
      secretBox,
      dataDir: opts.dataDir,
      log: opts.log,
      registry,
    });
    await alerts.start();
    closers.unshift(() => alerts.stop());
    const monitoring = new MonitoringController({
      clusters,
      rules: alerts.informer('clusterAlertRule'),
      connections,
      ownership,
      dataDir: opts.dataDir,
      log: opts.log,
      registry,
    });
    await monitoring.start();
    closers.unshift(() => monitoring.stop());
    alerts.metricSource = (clusterId) => monitoring.metricInstances(clusterId);

    // Store-only passes (clusters nobody reaches, expired tokens) run on the leader alone.
    leader.start({
      onStartedLeading: (signal) => {
        opts.log.info('this replica now runs the controllers');
        const leading = [
          startTokenCleanup({ store, log: opts.log, registry }),
          startPresenceController({ store, connections, ownership, clusters, leases, log: opts.log, registry }),
        ];
        // Started asynchronously (its informers list first); stopped with the others.
        void startGroupRefresh({ store, follower, secretBox, settings, log: opts.log, registry })
          .then((c) => (signal.aborted ? void c.stop() : leading.push(c)))
          .catch((err: unknown) => opts.log.warn('group refresh did not start', { error: String(err) }));
        void startCatalogController({ store, follower, secretBox, dataDir: opts.dataDir, log: opts.log, registry })
          .then((c) => (signal.aborted ? void c.controller.stop() : leading.push(c.controller)))
          .catch((err: unknown) => opts.log.warn('catalog controller did not start', { error: String(err) }));
        ownership.leadershipChanged();
        signal.addEventListener(
          'abort',
          () => {
            for (const c of leading) void c.stop();
            ownership.leadershipChanged();
          },
          { once: true },
        );
      },
      onStoppedLeading: () => opts.log.info('this replica no longer runs the controllers'),
    });
    closers.unshift(() => leader.stop());

    const templates = new StoreInformer(store, 'template');
    follower.add(templates);
    await templates.start();
    const services = {
      dataDir: opts.dataDir,
      templates,
      monitoring,
      secretBox,
      connections,
      caPem: tls.caPem,
      settleProjects: (id: string) => projects.settle(id),
      controllerMetrics: registry,
    };
    const app = createApp({
      store,
      projects,
      services,
      settings,
      userRules,
      memberships,
      hot,
      tls,
      log: opts.log,
      audit,
      leader,
      version: opts.version,
    });
    closers.unshift(async () => app.close());
    const listening: Listening = await listenHttps({ cert: tls.cert, key: tls.key, host, port }, app.listener);
    listening.server.on('upgrade', app.onUpgrade);
    closers.unshift(async () => {
      // Tunnels are upgraded sockets the HTTP server still counts: end them first, or close() waits forever.
      app.close();
      connections.closeAll();
      await listening.close();
    });
    const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
    const url = opts.serverUrl?.replace(/\/$/, '') ?? `https://${shownHost}:${listening.port}`;
    return {
      url,
      port: listening.port,
      caChecksum: tls.caChecksum,
      bootstrap,
      leader,
      store,
      connections,
      stop: async () => {
        for (const close of closers) await close().catch(() => undefined);
      },
    };
  } catch (err) {
    for (const close of closers) await close().catch(() => undefined);
    throw err;
  }
}
