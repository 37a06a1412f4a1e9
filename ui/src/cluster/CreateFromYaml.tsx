/**
 * Create an object from YAML: of a kind that has no form of its own (ConfigMaps, Secrets,
 * PersistentVolumeClaims and PersistentVolumes, StorageClasses), starting from a commented
 * template, or what a Service or Ingress form built, taken on as YAML. Created through the proxy
 * as the user.
 */
import { useState, type FormEvent } from 'react';
import { parseDocument } from 'yaml';
import { api, errorMessage } from '../api/http';
import { navigate } from '../app/router';
import { FormFooter } from '../components/FormFooter';
import { proxyBase, type KubeObject } from './k8s';
import { collectionPath, detailRoute, type KindDef } from './kinds';

export const TEMPLATES: Record<string, (ns: string) => string> = {
  services: (ns) => `apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: ${ns}
spec:
  # ClusterIP (inside the cluster), NodePort, LoadBalancer; or ExternalName with externalName: db.example.com
  type: ClusterIP
  selector:
    app: web
  ports:
    - name: http
      port: 80
      targetPort: 8080
  # externalIPs: [203.0.113.10]
`,
  ingresses: (ns) => `apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: web
  namespace: ${ns}
spec:
  # tls:
  #   - hosts: [shop.example.com]
  #     secretName: shop-tls        # a kubernetes.io/tls Secret
  # defaultBackend:
  #   service: {name: web, port: {number: 80}}
  rules:
    - host: shop.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: web
                port:
                  number: 80
`,
  configmaps: (ns) => `apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
  namespace: ${ns}
data:
  mode: fast
`,
  secrets: (ns) => `apiVersion: v1
kind: Secret
metadata:
  name: credentials
  namespace: ${ns}
# Opaque; kubernetes.io/tls (tls.crt, tls.key) for certificates;
# kubernetes.io/dockerconfigjson (.dockerconfigjson) for registry credentials
type: Opaque
stringData:
  password: change-me
`,
  persistentvolumeclaims: (ns) => `apiVersion: v1
kind: PersistentVolumeClaim
metadata:
  name: data
  namespace: ${ns}
spec:
  accessModes: [ReadWriteOnce]
  # storageClassName: standard    # the default class when absent
  resources:
    requests:
      storage: 1Gi
`,
  persistentvolumes: () => `apiVersion: v1
kind: PersistentVolume
metadata:
  name: data-1
spec:
  capacity:
    storage: 10Gi
  accessModes: [ReadWriteOnce]
  persistentVolumeReclaimPolicy: Retain
  hostPath:
    path: /srv/data-1
`,
  storageclasses: () => `apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: local
  annotations:
    storageclass.kubernetes.io/is-default-class: "false"
provisioner: kubernetes.io/no-provisioner
reclaimPolicy: Delete
volumeBindingMode: WaitForFirstConsumer
`,
};

export default function CreateFromYaml(props: {
  clusterId: string;
  kind: KindDef;
  namespace: string;
  /** What a form built, taken on as YAML; the kind's template otherwise. */
  initialText?: string;
}) {
  const { clusterId, kind } = props;
  const [text, setText] = useState(() => props.initialText ?? TEMPLATES[kind.id]!(props.namespace || 'default'));
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    const doc = parseDocument(text);
    const err = doc.errors[0];
    if (err) {
      setError(`Line ${err.linePos?.[0]?.line ?? '?'}: ${err.message.split('\n')[0]}`);
      return;
    }
    const obj = doc.toJS() as KubeObject | null;
    if (!obj || typeof obj !== 'object' || obj.kind !== kind.singular || !obj.metadata?.name) {
      setError(`The YAML must be one ${kind.singular} with a metadata.name.`);
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const ns = kind.namespaced ? (obj.metadata.namespace ?? (props.namespace || 'default')) : undefined;
      const created = await api<KubeObject>('POST', `${proxyBase(clusterId)}${collectionPath(kind, ns)}`, obj);
      navigate(detailRoute(clusterId, kind, created));
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <form className="workload-editor" onSubmit={(e) => void submit(e)} aria-label={`New ${kind.singular}`}>
      <h2>Create a {kind.singular}</h2>
      <textarea
        className="yaml"
        aria-label={`YAML of the new ${kind.singular}`}
        rows={24}
        spellCheck={false}
        value={text}
        onChange={(e) => setText(e.target.value)}
      />
      <FormFooter error={error} submitLabel="Create" busy={busy} onCancel={() => window.history.back()} />
    </form>
  );
}
