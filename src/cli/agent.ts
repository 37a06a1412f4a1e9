import { Command, Option } from 'commander';
import { readFile } from 'node:fs/promises';

interface AgentFlags {
  server?: string;
  token?: string;
  clusterId?: string;
  caChecksum?: string;
  kubeconfig?: string;
}

/** `corral agent`: runs in each imported cluster (the import manifest's Deployment). */
export function agentCommand(version: string): Command {
  return new Command('agent')
    .description('connect this cluster to a Corral server (runs in the cluster, from the import manifest)')
    .addOption(new Option('--server <url>', 'the Corral server URL').env('CORRAL_SERVER'))
    .addOption(new Option('--token <token>', 'the cluster registration token').env('CORRAL_TOKEN'))
    .addOption(new Option('--cluster-id <id>', 'the cluster id (c-xxxxx)').env('CORRAL_CLUSTER_ID'))
    .addOption(
      new Option('--ca-checksum <sha256>', 'SHA-256 of the server CA; the agent trusts only that CA').env(
        'CORRAL_CA_CHECKSUM',
      ),
    )
    .addOption(
      new Option('--kubeconfig <file>', 'kubeconfig for this cluster (default: the in-cluster service account)').env(
        'KUBECONFIG',
      ),
    )
    .addHelpText(
      'after',
      `
The values normally come from the Secret corral-agent-credentials that the import manifest creates.
Example (outside a cluster, for testing):
  corral agent --server https://corral.example.com --token <token> --cluster-id c-abcde \\
    --ca-checksum <sha256> --kubeconfig ./agent.kubeconfig`,
    )
    .action(async (flags: AgentFlags) => {
      const missing = (['server', 'token', 'clusterId'] as const).filter((k) => !flags[k]);
      if (missing.length) {
        throw new Error(
          `missing ${missing.map((m) => `--${m.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())}`).join(', ')} (or the CORRAL_* environment variables)`,
        );
      }
      const [{ startAgent }, { createLogger }] = await Promise.all([
        import('../agent/agent.js'),
        import('../server/log.js'),
      ]);
      const logger = createLogger('info');
      // The token may also come from a mounted file.
      const token = flags.token!.startsWith('@')
        ? (await readFile(flags.token!.slice(1), 'utf8')).trim()
        : flags.token!;
      const agent = startAgent({
        serverUrl: flags.server!,
        token,
        clusterId: flags.clusterId!,
        caChecksum: flags.caChecksum,
        kubeconfig: flags.kubeconfig,
        version,
        log: (level, msg, fields) => logger[level](msg, fields),
      });
      await new Promise<void>((resolve) => {
        const stop = () => void agent.stop().then(resolve);
        process.once('SIGTERM', stop);
        process.once('SIGINT', stop);
      });
    });
}
