import { existsSync } from 'node:fs';
import { join } from 'node:path';
import {
  createCA,
  generateKeyPair,
  issueCertificate,
  privateKeyToPem,
  publicKeyToPem,
  readCertificate,
  writeCertificate,
  writePem,
  type Certificate,
  type PemPaths,
} from '../pki/index.js';

/** Where each file of a local control plane's PKI lives, under `<dir>/pki`. */
export function pkiPaths(dir: string) {
  const pki = join(dir, 'pki');
  const pair = (name: string): PemPaths => ({ cert: join(pki, `${name}.crt`), key: join(pki, `${name}.key`) });
  return {
    dir: pki,
    ca: pair('ca'),
    apiserver: pair('apiserver'),
    admin: pair('admin'),
    controllerManager: pair('controller-manager'),
    scheduler: pair('scheduler'),
    frontProxyCA: pair('front-proxy-ca'),
    frontProxyClient: pair('front-proxy-client'),
    etcdCA: pair('etcd-ca'),
    etcdServer: pair('etcd-server'),
    etcdClient: pair('apiserver-etcd-client'),
    /** kwok's serving certificate: it stands in for the kubelets of the fake nodes. */
    kubelet: pair('kubelet'),
    kubeletClient: pair('apiserver-kubelet-client'),
    serviceAccountKey: join(pki, 'sa.key'),
    serviceAccountPub: join(pki, 'sa.pub'),
  };
}
export type PkiPaths = ReturnType<typeof pkiPaths>;

export const SERVICE_CIDR = '10.0.0.0/24';
const FIRST_SERVICE_IP = '10.0.0.1';
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '::1'];

export interface ControlPlanePki {
  paths: PkiPaths;
  ca: Certificate;
  admin: Certificate;
}

/**
 * Creates the certificates a control plane needs, as kubeadm lays them out: a cluster CA, an etcd
 * CA, a front-proxy CA for the aggregation layer, and a service-account signing key. Reuses them
 * when the folder already has them (a dev cluster started again).
 */
export async function ensureControlPlanePki(dir: string): Promise<ControlPlanePki> {
  const paths = pkiPaths(dir);
  if (existsSync(paths.admin.key)) {
    const [ca, admin] = await Promise.all([readCertificate(paths.ca), readCertificate(paths.admin)]);
    return { paths, ca, admin };
  }
  const [ca, etcdCA, frontProxyCA] = await Promise.all([
    createCA({ commonName: 'kubernetes' }),
    createCA({ commonName: 'etcd-ca' }),
    createCA({ commonName: 'front-proxy-ca' }),
  ]);
  const [
    apiserver,
    admin,
    controllerManager,
    scheduler,
    frontProxyClient,
    etcdServer,
    etcdClient,
    kubelet,
    kubeletClient,
    saKey,
  ] = await Promise.all([
    issueCertificate(ca, {
      commonName: 'kube-apiserver',
      usages: ['server'],
      altNames: [
        ...LOOPBACK_NAMES,
        FIRST_SERVICE_IP,
        'kubernetes',
        'kubernetes.default',
        'kubernetes.default.svc',
        'kubernetes.default.svc.cluster.local',
      ],
    }),
    issueCertificate(ca, { commonName: 'kubernetes-admin', organizations: ['system:masters'], usages: ['client'] }),
    issueCertificate(ca, { commonName: 'system:kube-controller-manager', usages: ['client'] }),
    issueCertificate(ca, { commonName: 'system:kube-scheduler', usages: ['client'] }),
    issueCertificate(frontProxyCA, { commonName: 'front-proxy-client', usages: ['client'] }),
    // etcd uses one certificate to serve clients and to talk to its peers.
    issueCertificate(etcdCA, { commonName: 'etcd', usages: ['server', 'client'], altNames: LOOPBACK_NAMES }),
    issueCertificate(etcdCA, { commonName: 'kube-apiserver-etcd-client', usages: ['client'] }),
    issueCertificate(ca, { commonName: 'kwok-kubelet', usages: ['server'], altNames: LOOPBACK_NAMES }),
    issueCertificate(ca, {
      commonName: 'kube-apiserver-kubelet-client',
      organizations: ['system:masters'],
      usages: ['client'],
    }),
    generateKeyPair(),
  ]);
  await Promise.all([
    writeCertificate(ca, paths.ca),
    writeCertificate(etcdCA, paths.etcdCA),
    writeCertificate(frontProxyCA, paths.frontProxyCA),
    writeCertificate(apiserver, paths.apiserver),
    writeCertificate(admin, paths.admin),
    writeCertificate(controllerManager, paths.controllerManager),
    writeCertificate(scheduler, paths.scheduler),
    writeCertificate(frontProxyClient, paths.frontProxyClient),
    writeCertificate(etcdServer, paths.etcdServer),
    writeCertificate(etcdClient, paths.etcdClient),
    writeCertificate(kubelet, paths.kubelet),
    writeCertificate(kubeletClient, paths.kubeletClient),
    writePem(paths.serviceAccountKey, await privateKeyToPem(saKey.privateKey)),
    writePem(paths.serviceAccountPub, await publicKeyToPem(saKey.publicKey)),
  ]);
  return { paths, ca, admin };
}
