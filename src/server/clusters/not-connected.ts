import type { StoredObject } from '../../store/types.js';

/** The status of a cluster no replica reaches: pending until it first connected, then unavailable. */
export function notConnectedStatus(cluster: StoredObject, now: string): Record<string, unknown> {
  const everConnected = cluster.status.state && cluster.status.state !== 'pending';
  const condition = (type: string) => ({
    type,
    status: 'False',
    reason: 'AgentNotConnected',
    message: 'the agent is not connected',
    lastUpdateTime: now,
  });
  return {
    state: everConnected ? 'unavailable' : 'pending',
    conditions: [condition('Connected'), condition('Ready')],
  };
}
