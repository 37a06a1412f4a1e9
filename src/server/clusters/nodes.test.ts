import { describe, expect, test } from 'vitest';
import { nodeObject, requestedByNode } from './nodes.js';

describe("nodes in Rancher's shape", () => {
  test('requests of the pods holding resources, per node, in display form', () => {
    const pod = (nodeName: string, cpu: string, memory: string, phase = 'Running') => ({
      spec: { nodeName, containers: [{ resources: { requests: { cpu, memory } } }] },
      status: { phase },
    });
    const byNode = requestedByNode([
      pod('n1', '250m', '64Mi'),
      pod('n1', '1', '64Mi'),
      pod('n1', '2', '1Gi', 'Succeeded'),
      pod('n2', '100m', '1Mi'),
    ]);
    expect(byNode.get('n1')).toEqual({ pods: '2', cpu: '1250m', memory: '131072Ki' });
    expect(byNode.get('n2')).toEqual({ pods: '1', cpu: '100m', memory: '1024Ki' });
  });

  test('roles from node-role labels (none means worker), state from Ready and cordoning', () => {
    const n = nodeObject(
      'c-abcde',
      {
        metadata: { name: 'cp-1', labels: { 'node-role.kubernetes.io/control-plane': '' } },
        spec: { unschedulable: true },
        status: {
          conditions: [{ type: 'Ready', status: 'True' }],
          addresses: [
            { type: 'InternalIP', address: '10.0.0.5' },
            { type: 'Hostname', address: 'cp-1.example' },
          ],
          capacity: { cpu: '4' },
          allocatable: { cpu: '3800m' },
        },
      },
      { pods: '0' },
    );
    expect(n.id).toBe('c-abcde:cp-1');
    expect(n.spec).toMatchObject({
      nodeName: 'cp-1',
      hostname: 'cp-1.example',
      clusterId: 'c-abcde',
      ipAddress: '10.0.0.5',
      controlPlane: true,
      etcd: false,
      worker: false,
      capacity: { cpu: '4' },
      allocatable: { cpu: '3800m' },
      requested: { pods: '0' },
    });
    expect(n.status.state).toBe('cordoned');
    const worker = nodeObject('c-abcde', { metadata: { name: 'w' }, status: { conditions: [] } }, {});
    expect(worker.spec).toMatchObject({ worker: true, controlPlane: false });
    expect(worker.status.state).toBe('unavailable');
  });
});
