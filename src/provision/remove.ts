import { ProvisionError } from './errors.js';
import type { Session } from './session.js';
import { removeLocalFiles } from './state.js';
import { cleanNode } from './up.js';

/** `corral remove`: stops every component on every node, removes Kubernetes' files, then the local state. */
export async function removeCluster(session: Session, opts: { keepSnapshots: boolean }): Promise<void> {
  const { conns, progress } = session;
  if (conns.size === 0) throw new ProvisionError('no node reachable; nothing was removed');
  progress.step(`removing the cluster from ${conns.size} node(s)`);
  await Promise.all(
    [...conns.entries()].map(async ([address, io]) => {
      await cleanNode(io, { keepSnapshots: opts.keepSnapshots, binDir: session.config.corral.binaries.path });
      progress.node(address, 'cleaned');
    }),
  );
  await removeLocalFiles(session.paths);
  progress.step(`removed; ${session.paths.state} and ${session.paths.kubeconfig} deleted`);
}
