/** Where every etcd node keeps its snapshots (RKE's folder). */
export const SNAPSHOT_DIR = '/opt/rke/etcd-snapshots';
