/**
 * The add-ons Corral deploys in every cluster whose nodes run containers, as RKE does: CoreDNS
 * (RKE's `dns`) answering at services.kubelet.cluster_dns_server, and metrics-server (RKE's
 * `monitoring`) behind `kubectl top`. Their images are the ones Corral loaded onto the nodes, or
 * those system_images names.
 */
import type { SystemImages } from '../images/system-images.js';
import { kubectl } from './addons.js';
import type { ClusterConfig } from './config/types.js';
import { ProvisionError } from './errors.js';
import type { Progress } from './progress.js';

const MANAGED = '{provisioner.corral.io/managed: "true"}';

export interface SystemAddon {
  name: string;
  yaml: string;
  /** Deployments in kube-system that must become available. */
  deployments: string[];
}

export function systemAddons(config: ClusterConfig, images: SystemImages['refs']): SystemAddon[] {
  const out: SystemAddon[] = [];
  if (config.dns.provider === 'coredns')
    out.push({
      name: 'coredns',
      yaml: coreDns(config, config.system_images.coredns ?? images.coredns),
      deployments: ['coredns'],
    });
  if (config.monitoring.provider === 'metrics-server')
    out.push({
      name: 'metrics-server',
      yaml: metricsServer(config.system_images.metrics_server ?? images['metrics-server']),
      deployments: ['metrics-server'],
    });
  return out;
}

// Control-plane and etcd nodes are tainted in RKE's layout; add-ons may run there when no worker can.
const TOLERATIONS = `      tolerations:
        - {key: CriticalAddonsOnly, operator: Exists}
        - {key: node-role.kubernetes.io/controlplane, operator: Exists, effect: NoSchedule}
        - {key: node-role.kubernetes.io/etcd, operator: Exists, effect: NoExecute}`;

function coreDns(config: ClusterConfig, image: string): string {
  const kubelet = config.services.kubelet;
  const upstream = config.dns.upstreamnameservers.length
    ? config.dns.upstreamnameservers.join(' ')
    : '/etc/resolv.conf';
  // No `loop` plugin: a node whose resolv.conf points at a local stub resolver would make it stop
  // CoreDNS altogether; cluster names must resolve even where the upstream does not answer.
  const corefile = `.:53 {
        errors
        health {
          lameduck 5s
        }
        ready
        kubernetes ${kubelet.cluster_domain} in-addr.arpa ip6.arpa {
          pods insecure
          fallthrough in-addr.arpa ip6.arpa
          ttl 30
        }
        prometheus :9153
        forward . ${upstream}
        cache 30
        reload
        loadbalance
    }`;
  return `apiVersion: v1
kind: ServiceAccount
metadata: {name: coredns, namespace: kube-system, labels: ${MANAGED}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:coredns", labels: ${MANAGED}}
rules:
  - apiGroups: [""]
    resources: [endpoints, services, pods, namespaces]
    verbs: [list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:coredns", labels: ${MANAGED}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:coredns"}
subjects: [{kind: ServiceAccount, name: coredns, namespace: kube-system}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system, labels: ${MANAGED}}
data:
  Corefile: |
    ${corefile}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: coredns
  namespace: kube-system
  labels: {k8s-app: kube-dns, provisioner.corral.io/managed: "true"}
spec:
  replicas: 1
  selector: {matchLabels: {k8s-app: kube-dns}}
  strategy: {type: RollingUpdate, rollingUpdate: {maxUnavailable: 1}}
  template:
    metadata: {labels: {k8s-app: kube-dns}}
    spec:
      priorityClassName: system-cluster-critical
      serviceAccountName: coredns
      dnsPolicy: Default
${TOLERATIONS}
      containers:
        - name: coredns
          image: ${image}
          imagePullPolicy: IfNotPresent
          args: [-conf, /etc/coredns/Corefile]
          resources:
            requests: {cpu: 50m, memory: 40Mi}
            limits: {memory: 170Mi}
          ports:
            - {name: dns, containerPort: 53, protocol: UDP}
            - {name: dns-tcp, containerPort: 53, protocol: TCP}
            - {name: metrics, containerPort: 9153, protocol: TCP}
          securityContext:
            allowPrivilegeEscalation: false
            capabilities: {add: [NET_BIND_SERVICE], drop: [ALL]}
            readOnlyRootFilesystem: true
          livenessProbe:
            httpGet: {path: /health, port: 8080}
            initialDelaySeconds: 60
            timeoutSeconds: 5
            failureThreshold: 5
          readinessProbe:
            httpGet: {path: /ready, port: 8181}
            periodSeconds: 2
          volumeMounts: [{name: config-volume, mountPath: /etc/coredns, readOnly: true}]
      volumes:
        - name: config-volume
          configMap: {name: coredns, items: [{key: Corefile, path: Corefile}]}
---
apiVersion: v1
kind: Service
metadata:
  name: kube-dns
  namespace: kube-system
  labels: {k8s-app: kube-dns, kubernetes.io/name: CoreDNS, provisioner.corral.io/managed: "true"}
  annotations: {prometheus.io/port: "9153", prometheus.io/scrape: "true"}
spec:
  selector: {k8s-app: kube-dns}
  clusterIP: ${kubelet.cluster_dns_server}
  ports:
    - {name: dns, port: 53, protocol: UDP}
    - {name: dns-tcp, port: 53, protocol: TCP}
    - {name: metrics, port: 9153, protocol: TCP}
`;
}

function metricsServer(image: string): string {
  return `apiVersion: v1
kind: ServiceAccount
metadata: {name: metrics-server, namespace: kube-system, labels: ${MANAGED}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: system:aggregated-metrics-reader
  labels:
    provisioner.corral.io/managed: "true"
    rbac.authorization.k8s.io/aggregate-to-admin: "true"
    rbac.authorization.k8s.io/aggregate-to-edit: "true"
    rbac.authorization.k8s.io/aggregate-to-view: "true"
rules:
  - apiGroups: [metrics.k8s.io]
    resources: [pods, nodes]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: "system:metrics-server", labels: ${MANAGED}}
rules:
  - apiGroups: [""]
    resources: [nodes/metrics]
    verbs: [get]
  - apiGroups: [""]
    resources: [pods, nodes]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: metrics-server-auth-reader, namespace: kube-system, labels: ${MANAGED}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: extension-apiserver-authentication-reader}
subjects: [{kind: ServiceAccount, name: metrics-server, namespace: kube-system}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "metrics-server:system:auth-delegator", labels: ${MANAGED}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:auth-delegator"}
subjects: [{kind: ServiceAccount, name: metrics-server, namespace: kube-system}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: "system:metrics-server", labels: ${MANAGED}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: "system:metrics-server"}
subjects: [{kind: ServiceAccount, name: metrics-server, namespace: kube-system}]
---
apiVersion: v1
kind: Service
metadata: {name: metrics-server, namespace: kube-system, labels: {k8s-app: metrics-server, provisioner.corral.io/managed: "true"}}
spec:
  selector: {k8s-app: metrics-server}
  ports: [{name: https, port: 443, protocol: TCP, targetPort: https}]
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: metrics-server
  namespace: kube-system
  labels: {k8s-app: metrics-server, provisioner.corral.io/managed: "true"}
spec:
  replicas: 1
  selector: {matchLabels: {k8s-app: metrics-server}}
  strategy: {rollingUpdate: {maxUnavailable: 0}}
  template:
    metadata: {labels: {k8s-app: metrics-server}}
    spec:
      priorityClassName: system-cluster-critical
      serviceAccountName: metrics-server
${TOLERATIONS}
      containers:
        - name: metrics-server
          image: ${image}
          imagePullPolicy: IfNotPresent
          # The kubelets serve with certificates they sign themselves (no serving certificate is
          # issued to them), so metrics-server cannot verify them; RKE's manifest does the same.
          args:
            - --cert-dir=/tmp
            - --secure-port=10250
            - --kubelet-preferred-address-types=InternalIP,Hostname
            - --kubelet-use-node-status-port
            - --kubelet-insecure-tls
            - --metric-resolution=15s
          ports: [{name: https, containerPort: 10250, protocol: TCP}]
          resources:
            requests: {cpu: 50m, memory: 50Mi}
          readinessProbe:
            httpGet: {path: /readyz, port: https, scheme: HTTPS}
            initialDelaySeconds: 5
            periodSeconds: 5
            failureThreshold: 3
          livenessProbe:
            httpGet: {path: /livez, port: https, scheme: HTTPS}
            periodSeconds: 10
            failureThreshold: 3
          securityContext:
            allowPrivilegeEscalation: false
            readOnlyRootFilesystem: true
            runAsNonRoot: true
            runAsUser: 1000
            capabilities: {drop: [ALL]}
          volumeMounts: [{name: tmp-dir, mountPath: /tmp}]
      volumes: [{name: tmp-dir, emptyDir: {}}]
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.k8s.io, labels: {k8s-app: metrics-server, provisioner.corral.io/managed: "true"}}
spec:
  service: {name: metrics-server, namespace: kube-system}
  group: metrics.k8s.io
  version: v1beta1
  insecureSkipTLSVerify: true
  groupPriorityMinimum: 100
  versionPriority: 100
`;
}

/**
 * Waits until the cluster can run what users deploy: every node whose kubelet runs is Ready (its
 * network configured) and every system add-on's Deployment is available.
 */
export async function waitSystemReady(
  kubectlPath: string,
  kubeconfig: string,
  nodes: string[],
  addons: SystemAddon[],
  progress: Progress,
): Promise<void> {
  const run = (args: string[]) => kubectl(kubectlPath, kubeconfig, args);
  if (nodes.length) {
    await run(['wait', '--for=condition=Ready', ...nodes.map((n) => `node/${n}`), '--timeout=300s']).catch(
      async (err: Error) => {
        const state = await run(['get', 'nodes', '-o', 'wide']).catch(() => '');
        throw new ProvisionError(`nodes did not become Ready: ${err.message}\n${state}`);
      },
    );
    progress.info(`${nodes.length} node(s) Ready`);
  }
  for (const addon of addons)
    for (const d of addon.deployments) {
      // Available rather than `rollout status`, which gives up at once on a deployment past its
      // progress deadline even when its pods are about to become ready.
      await run(['-n', 'kube-system', 'wait', '--for=condition=Available', `deployment/${d}`, '--timeout=300s']).catch(
        async (err: Error) => {
          const pods = await run(['-n', 'kube-system', 'get', 'pods', '-o', 'wide']).catch(() => '');
          const events = await run(['-n', 'kube-system', 'get', 'events', '--sort-by=.lastTimestamp']).catch(() => '');
          throw new ProvisionError(
            `the ${addon.name} add-on did not become available: ${err.message}\n${pods}\n${events.split('\n').slice(-15).join('\n')}`,
          );
        },
      );
      progress.info(`${addon.name} available`);
    }
}
