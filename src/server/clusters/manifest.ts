import { stringify } from 'yaml';

export const AGENT_NAMESPACE = 'corral-system';
export const AGENT_NAME = 'corral-agent';
export const MANAGED_LABEL = 'corral.io/managed';

export interface ManifestInput {
  serverUrl: string;
  clusterId: string;
  token: string;
  caChecksum: string;
  image: string;
}

/**
 * What `kubectl apply` creates in an imported cluster: the agent's namespace, service account,
 * RBAC, credentials Secret and Deployment. The agent's ClusterRole holds what Corral does in the
 * cluster and no more: impersonation (every proxied request acts as the user, and Kubernetes RBAC
 * decides), reading nodes and pods (health, and what the pods request), managing namespaces,
 * quotas and limit ranges (projects), and RBAC objects with escalate and bind (role templates
 * become ClusterRoles and bindings), and Secrets (project-scoped secrets are copied into
 * namespaces). It is not cluster-admin: it cannot touch workloads on its own account.
 */
export function agentManifest(input: ManifestInput): string {
  const labels = { [MANAGED_LABEL]: 'true', 'app.kubernetes.io/name': AGENT_NAME };
  const docs = [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: AGENT_NAMESPACE, labels } },
    { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: AGENT_NAME, namespace: AGENT_NAMESPACE, labels } },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRole',
      metadata: { name: AGENT_NAME, labels },
      rules: [
        { apiGroups: [''], resources: ['users', 'groups', 'serviceaccounts'], verbs: ['impersonate'] },
        {
          apiGroups: ['authentication.k8s.io'],
          resources: ['userextras/principalid', 'userextras/username', 'userextras/requesttokenid'],
          verbs: ['impersonate'],
        },
        { apiGroups: [''], resources: ['nodes'], verbs: ['get', 'list', 'watch'] },
        // Reading pods (never changing them) gives the cluster's requested and limits.
        { apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] },
        // Projects: namespaces are assigned to projects, and get their quotas and limit ranges.
        {
          apiGroups: [''],
          resources: ['namespaces'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
        { apiGroups: [''], resources: ['resourcequotas', 'limitranges'], verbs: ['*'] },
        // Project-scoped secrets are copied into each namespace of their project.
        {
          apiGroups: [''],
          resources: ['secrets'],
          verbs: ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete'],
        },
        // Role templates become ClusterRoles and bindings; granting a role needs escalate and bind.
        {
          apiGroups: ['rbac.authorization.k8s.io'],
          resources: ['clusterroles', 'clusterrolebindings', 'roles', 'rolebindings'],
          verbs: ['*'],
        },
        // Alert rules read events and Deployments (never change them); monitoring scrapes /metrics.
        { apiGroups: [''], resources: ['events'], verbs: ['get', 'list', 'watch'] },
        { apiGroups: ['apps'], resources: ['deployments'], verbs: ['get', 'list', 'watch'] },
        // System service rules: component statuses (or the leader leases), etcd's readyz.
        { apiGroups: [''], resources: ['componentstatuses'], verbs: ['get', 'list'] },
        { apiGroups: ['coordination.k8s.io'], resources: ['leases'], verbs: ['get', 'list', 'watch'] },
        { nonResourceURLs: ['/version', '/healthz', '/readyz', '/readyz/*', '/livez', '/metrics'], verbs: ['get'] },
      ],
    },
    {
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'ClusterRoleBinding',
      metadata: { name: AGENT_NAME, labels },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: AGENT_NAME },
      subjects: [{ kind: 'ServiceAccount', name: AGENT_NAME, namespace: AGENT_NAMESPACE }],
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: `${AGENT_NAME}-credentials`, namespace: AGENT_NAMESPACE, labels },
      type: 'Opaque',
      stringData: {
        CORRAL_SERVER: input.serverUrl,
        CORRAL_TOKEN: input.token,
        CORRAL_CLUSTER_ID: input.clusterId,
        CORRAL_CA_CHECKSUM: input.caChecksum,
      },
    },
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: AGENT_NAME, namespace: AGENT_NAMESPACE, labels },
      spec: {
        replicas: 1,
        selector: { matchLabels: { 'app.kubernetes.io/name': AGENT_NAME } },
        template: {
          metadata: { labels },
          spec: {
            serviceAccountName: AGENT_NAME,
            containers: [
              {
                name: 'agent',
                image: input.image,
                args: ['agent'],
                envFrom: [{ secretRef: { name: `${AGENT_NAME}-credentials` } }],
                resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
                securityContext: {
                  allowPrivilegeEscalation: false,
                  readOnlyRootFilesystem: true,
                  runAsNonRoot: true,
                  runAsUser: 1000,
                },
              },
            ],
          },
        },
      },
    },
  ];
  return docs.map((d) => stringify(d)).join('---\n');
}
