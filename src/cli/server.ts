import { Command, InvalidArgumentError, Option } from 'commander';
import { homedir } from 'node:os';
import { join } from 'node:path';

interface ServerFlags {
  dataDir: string;
  listen: string;
  store: 'sqlite' | 'etcd';
  etcdEndpoints?: string;
  etcdCafile?: string;
  etcdCertfile?: string;
  etcdKeyfile?: string;
  tlsCert?: string;
  tlsKey?: string;
  serverUrl?: string;
  bootstrapPassword?: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error';
  leaderLeaseSeconds: number;
  encryptionKeyFile?: string;
  localCluster?: boolean;
}

/** `corral server`: the management server (v3 API, login, roles). */
export function serverCommand(version: string): Command {
  return new Command('server')
    .description('run the Corral management server (HTTPS, the /v3 API)')
    .addOption(
      new Option('--data-dir <dir>', 'where the server keeps its database, certificates and audit log')
        .env('CORRAL_DATA_DIR')
        .default(join(homedir(), '.corral', 'server')),
    )
    .addOption(
      new Option('--listen <host:port>', 'address to serve HTTPS on').env('CORRAL_LISTEN').default('0.0.0.0:8443'),
    )
    .addOption(
      new Option('--store <kind>', 'datastore').choices(['sqlite', 'etcd']).env('CORRAL_STORE').default('sqlite'),
    )
    .addOption(
      new Option('--etcd-endpoints <urls>', 'comma-separated etcd URLs (with --store etcd)').env(
        'CORRAL_ETCD_ENDPOINTS',
      ),
    )
    .addOption(
      new Option('--etcd-cafile <file>', 'CA that signed the etcd server certificate').env('CORRAL_ETCD_CAFILE'),
    )
    .addOption(new Option('--etcd-certfile <file>', 'client certificate for etcd').env('CORRAL_ETCD_CERTFILE'))
    .addOption(new Option('--etcd-keyfile <file>', 'client key for etcd').env('CORRAL_ETCD_KEYFILE'))
    .addOption(
      new Option('--tls-cert <file>', 'serving certificate (chain); default: generated with a private CA').env(
        'CORRAL_TLS_CERT',
      ),
    )
    .addOption(new Option('--tls-key <file>', 'key of --tls-cert').env('CORRAL_TLS_KEY'))
    .addOption(
      new Option('--server-url <url>', 'the URL clients and agents use to reach this server').env('CORRAL_SERVER_URL'),
    )
    .addOption(
      new Option(
        '--bootstrap-password <password>',
        'first password of the admin user (default: random, printed once)',
      ).env('CORRAL_BOOTSTRAP_PASSWORD'),
    )
    .addOption(
      new Option(
        '--leader-lease-seconds <n>',
        'with --store etcd: how long a lost leader holds the controllers before another replica takes over',
      )
        .env('CORRAL_LEADER_LEASE_SECONDS')
        .default(15)
        .argParser((v) => {
          const n = Number(v);
          if (!Number.isInteger(n) || n < 1 || n > 300) {
            throw new InvalidArgumentError('must be a whole number of seconds from 1 to 300');
          }
          return n;
        }),
    )
    .addOption(
      new Option(
        '--encryption-key-file <file>',
        'key for secrets at rest (default: <data-dir>/encryption-key, created once)',
      ).env('CORRAL_ENCRYPTION_KEY_FILE'),
    )
    .addOption(
      new Option(
        '--local-cluster',
        'also start a local Kubernetes control plane and register it as cluster "local"',
      ).env('CORRAL_LOCAL_CLUSTER'),
    )
    .addOption(
      new Option('--log-level <level>', 'log level')
        .choices(['debug', 'info', 'warn', 'error'])
        .env('CORRAL_LOG_LEVEL')
        .default('info'),
    )
    .addHelpText(
      'after',
      `
Examples:
  corral server                                    # SQLite in ~/.corral/server, https://localhost:8443
  CORRAL_BOOTSTRAP_PASSWORD=... corral server --listen 127.0.0.1:9443
  corral server --store etcd --etcd-endpoints https://10.0.0.5:2379 \\
    --etcd-cafile ca.pem --etcd-certfile client.pem --etcd-keyfile client-key.pem`,
    )
    .action(async (flags: ServerFlags) => {
      const [{ startServer }, { createLogger }] = await Promise.all([
        import('../server/start.js'),
        import('../server/log.js'),
      ]);
      const log = createLogger(flags.logLevel);
      if (flags.store === 'etcd' && !flags.etcdEndpoints) {
        throw new Error('--store etcd needs --etcd-endpoints (comma-separated https:// URLs)');
      }
      const server = await startServer({
        dataDir: flags.dataDir,
        listen: flags.listen,
        store:
          flags.store === 'etcd'
            ? {
                kind: 'etcd',
                endpoints: flags
                  .etcdEndpoints!.split(',')
                  .map((s) => s.trim())
                  .filter(Boolean),
                caFile: flags.etcdCafile,
                certFile: flags.etcdCertfile,
                keyFile: flags.etcdKeyfile,
              }
            : { kind: 'sqlite', path: join(flags.dataDir, 'corral.db') },
        tlsCert: flags.tlsCert,
        tlsKey: flags.tlsKey,
        serverUrl: flags.serverUrl,
        bootstrapPassword: flags.bootstrapPassword || undefined,
        version,
        log,
        leaseTtlSeconds: flags.leaderLeaseSeconds,
        encryptionKeyFile: flags.encryptionKeyFile,
        localCluster: flags.localCluster,
      });
      log.info('serving', { url: server.url, store: flags.store, dataDir: flags.dataDir });
      const out = [`Corral ${version} is serving ${server.url}`];
      if (server.caChecksum) out.push(`CA certificate: ${server.url}/cacerts (sha256 ${server.caChecksum})`);
      if (server.bootstrap?.generated) {
        // Printed once, to the terminal only (never to the log): it is needed to log in the first time.
        out.push(
          `Bootstrap password for user "admin": ${server.bootstrap.password}`,
          `Set up at: ${server.url}/dashboard/?setup=${encodeURIComponent(server.bootstrap.password)}`,
          'You must choose a new password at first login.',
        );
      } else if (server.bootstrap) {
        out.push('Log in as "admin" with the bootstrap password; you must choose a new one at first login.');
      }
      process.stdout.write(out.join('\n') + '\n');
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          log.info('shutting down', { signal });
          void server.stop().then(resolve);
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
    });
}
