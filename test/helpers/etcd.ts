import { join } from 'node:path';
import { binaryPath } from '../../src/kube/binaries.js';
import { startEtcd } from '../../src/localcluster/etcd.js';
import { stopProcess } from '../../src/localcluster/processes.js';
import { createCA, issueCertificate, writeCertificate, type PemPaths } from '../../src/pki/index.js';
import { testDir } from './control-plane.js';

export interface TestEtcd {
  /** `https://127.0.0.1:<port>`, mutual TLS. */
  endpoint: string;
  /** PEM contents: the CA, and a client certificate and key it trusts. */
  ca: string;
  cert: string;
  key: string;
  /** The same as files. */
  caFile: string;
  certFile: string;
  keyFile: string;
  /** The `corral server` flags that put its store in this etcd. */
  serverArgs: string[];
  stop(): Promise<void>;
}

/** Starts a real single-member etcd (the one built in tools/k8s) in a fresh folder of this test run. */
export async function startTestEtcd(): Promise<TestEtcd> {
  const dir = await testDir('etcd');
  const pair = (name: string): PemPaths => ({
    cert: join(dir, 'pki', `${name}.crt`),
    key: join(dir, 'pki', `${name}.key`),
  });
  const paths = { ca: pair('ca'), server: pair('server'), client: pair('client') };
  const ca = await createCA({ commonName: 'corral-test-etcd-ca' });
  const [server, client] = await Promise.all([
    issueCertificate(ca, { commonName: 'etcd', usages: ['server', 'client'], altNames: ['localhost', '127.0.0.1'] }),
    issueCertificate(ca, { commonName: 'corral-test-client', usages: ['client'] }),
  ]);
  await Promise.all([
    writeCertificate(ca, paths.ca),
    writeCertificate(server, paths.server),
    writeCertificate(client, paths.client),
  ]);
  const etcd = await startEtcd({ dir, binary: await binaryPath('etcd'), ...paths });
  return {
    endpoint: etcd.endpoint,
    ca: ca.certPem,
    cert: client.certPem,
    key: client.keyPem,
    caFile: paths.ca.cert,
    certFile: paths.client.cert,
    keyFile: paths.client.key,
    serverArgs: [
      '--store',
      'etcd',
      '--etcd-endpoints',
      etcd.endpoint,
      '--etcd-cafile',
      paths.ca.cert,
      '--etcd-certfile',
      paths.client.cert,
      '--etcd-keyfile',
      paths.client.key,
    ],
    stop: () => stopProcess(etcd.process),
  };
}
