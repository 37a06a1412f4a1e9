// A child process running many agents, so that thousands of agents do not share the bench's (or
// one) event loop. Usage: node dist/bench/lib/agent-fleet.js <fleet.json>, where the file is
// { serverUrl, caChecksum, agents: [{ token, clusterId, kubeconfig }] }. Prints "fleet ready" once
// every agent has been started; SIGTERM stops them all and exits.
import { readFileSync } from 'node:fs';
import { startAgent, type RunningAgent } from '../../src/agent/agent.js';

export interface FleetSpec {
  serverUrl: string;
  caChecksum: string;
  agents: { token: string; clusterId: string; kubeconfig: string }[];
}

const spec = JSON.parse(readFileSync(process.argv[2]!, 'utf8')) as FleetSpec;
const running: RunningAgent[] = [];
let errors = 0;
for (const a of spec.agents) {
  running.push(
    startAgent({
      serverUrl: spec.serverUrl,
      token: a.token,
      clusterId: a.clusterId,
      caChecksum: spec.caChecksum,
      kubeconfig: a.kubeconfig,
      version: 'bench',
      log: (level) => {
        if (level !== 'info') errors++;
      },
    }),
  );
}
process.stdout.write(`fleet ready ${running.length}\n`);
const report = setInterval(() => {
  if (errors) process.stderr.write(`fleet ${process.pid}: ${errors} agent warnings/errors so far\n`);
}, 30_000);
report.unref();
process.once('SIGTERM', () => {
  clearInterval(report);
  const hard = setTimeout(() => process.exit(0), 5_000);
  hard.unref();
  void Promise.all(running.map((a) => a.stop())).finally(() => process.exit(0));
});
