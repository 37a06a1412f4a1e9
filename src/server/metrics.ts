import type { LeaderElector } from '../store/types.js';
import type { ServerServices } from './api/context.js';

/** `/metrics`: the server's own gauges, then the controllers' registry. */
export function renderMetrics(deps: { leader: LeaderElector; services: ServerServices; version: string }): string {
  const { connections } = deps.services;
  const count = (kind: string) => connections.ids().filter((id) => connections.get(id)?.kind === kind).length;
  return (
    [
      '# HELP corral_leader Whether this replica runs the controllers (1) or only serves the API (0).',
      '# TYPE corral_leader gauge',
      `corral_leader ${deps.leader.isLeader() ? 1 : 0}`,
      '# HELP corral_cluster_connections Clusters this replica reaches now (agent tunnels and direct).',
      '# TYPE corral_cluster_connections gauge',
      `corral_cluster_connections{kind="tunnel"} ${count('tunnel')}`,
      `corral_cluster_connections{kind="direct"} ${count('direct')}`,
      '# HELP corral_build_info Corral version.',
      '# TYPE corral_build_info gauge',
      `corral_build_info{version="${deps.version}"} 1`,
      '',
    ].join('\n') + (deps.services.controllerMetrics?.render() ?? '')
  );
}
