/**
 * The cluster PKI of `corral up`: RKE's certificate set (kube-ca, kube-apiserver, kube-etcd-<node>,
 * …), its idempotent generation and rotation, the files each node gets and the admin kubeconfig.
 */
export {
  changedCertificates,
  certificatesOfService,
  generateClusterPki,
  RENEW_BEFORE_DAYS,
  ROTATABLE_SERVICES,
  rotateCertificates,
  VALIDITY_DAYS,
  type ClusterPki,
  type PkiEntry,
  type RotatableService,
  type RotateOptions,
} from './pki/generate.js';
export {
  adminKubeconfig,
  API_SERVER_PORT,
  apiServerFor,
  certificateFilesFor,
  certPath,
  componentKubeconfig,
  keyPath,
  kubeconfigPath,
  SSL_DIR,
  type CertificateFilesOptions,
  type NodeFile,
} from './pki/files.js';
export { CERT, etcdCertName, hostAltNames, httpsUrl, kubernetesServiceIps, leafSpecs } from './pki/names.js';
export { certificateSummary, type CertificateSummary } from './pki/summary.js';
