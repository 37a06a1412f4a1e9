import { describe, expect, it } from 'vitest';
import type { ServerServices } from './api/context.js';
import { ClusterConnections, type ClusterConnection } from './clusters/connections.js';
import { Registry } from './controllers/kit/metrics.js';
import { renderMetrics } from './metrics.js';

describe('renderMetrics', () => {
  it('keeps the names benchmarks parse and appends the controllers registry', () => {
    const connections = new ClusterConnections();
    const conn = (kind: 'tunnel' | 'direct'): ClusterConnection => ({
      kind,
      since: 0,
      upstream: { protocol: 'http:', host: 'x', port: 1, options: {} },
      close: () => undefined,
    });
    connections.set('c-1', conn('tunnel'));
    connections.set('c-2', conn('tunnel'));
    connections.set('c-3', conn('direct'));
    const registry = new Registry();
    registry.counter('corral_controller_retries_total', 'Retries.').inc({ controller: 'projects' });
    const text = renderMetrics({
      leader: { isLeader: () => true, start: () => undefined, stop: async () => undefined },
      services: { connections, controllerMetrics: registry } as unknown as ServerServices,
      version: '1.2.3',
    });
    expect(text).toMatch(/^corral_leader 1$/m);
    expect(/corral_cluster_connections\{kind="tunnel"\} (\d+)/.exec(text)?.[1]).toBe('2');
    expect(text).toMatch(/^corral_cluster_connections\{kind="direct"\} 1$/m);
    expect(text).toMatch(/^corral_build_info\{version="1.2.3"\} 1$/m);
    expect(text).toMatch(/^corral_controller_retries_total\{controller="projects"\} 1$/m);
  });
});
