/**
 * The built-in global roles and role templates, with Rancher 2.x's ids, names, flags, inheritance and
 * rules, so that bindings, scripts and Terraform written for Rancher mean the same here. Rules for
 * types Corral does not serve (yet) are kept: they cost nothing, and a role that later gains the type
 * must not silently grant less than in Rancher.
 *
 * Source: rancher/rancher pkg/data/management/role_data.go, the release-2.7/2.8 line (the last one that
 * still has podsecuritypolicytemplates-manage).
 */
import type { PolicyRule } from './policy-rule.js';
import type { GlobalRole, RoleTemplate, RoleTemplateContext } from './roles.js';

const MGMT = 'management.cattle.io';
const PROJECT = 'project.cattle.io';
const CATALOG = 'catalog.cattle.io';
const CORE = '';
const READ = ['get', 'list', 'watch'];
const ALL = ['*'];

function rule(apiGroups: string[], resources: string[], verbs: string[], resourceNames?: string[]): PolicyRule {
  return resourceNames ? { apiGroups, resources, verbs, resourceNames } : { apiGroups, resources, verbs };
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

// ---- Global roles -----------------------------------------------------------------------------------

// Shared by `user` and `restricted-admin`, as in Rancher.
const USER_RULES: PolicyRule[] = [
  rule([CORE], ['secrets'], ['create']),
  rule([MGMT], ['principals', 'roletemplates'], READ),
  rule([MGMT], ['preferences'], ALL),
  rule([MGMT], ['settings'], READ),
  rule([MGMT], ['features'], READ),
  rule([MGMT], ['templates', 'templateversions', 'catalogs'], READ),
  rule([MGMT], ['clusters'], ['create']),
  rule([MGMT], ['nodedrivers'], READ),
  rule([MGMT], ['kontainerdrivers'], READ),
  rule([MGMT], ['nodetemplates'], ['create']),
  rule([MGMT], ['fleetworkspaces'], ['create']),
  rule([MGMT], ['multiclusterapps', 'globaldnses', 'globaldnsproviders', 'clustertemplaterevisions'], ['create']),
  rule([MGMT], ['rkek8ssystemimages'], READ),
  rule([MGMT], ['rkek8sserviceoptions'], READ),
  rule([MGMT], ['rkeaddons'], READ),
  rule([MGMT], ['cisconfigs'], READ),
  rule([MGMT], ['cisbenchmarkversions'], READ),
  rule([PROJECT], ['sourcecodecredentials'], ALL),
  rule([PROJECT], ['sourcecoderepositories'], ALL),
  rule(['provisioning.cattle.io'], ['clusters'], ['create']),
  rule(['rke-machine-config.cattle.io'], ['*'], ['create']),
  rule([MGMT], ['rancherusernotifications'], READ),
];

// Rancher leaves out the verbs escalate and bind here, unlike a plain `*`.
const EDIT_VERBS = ['delete', 'deletecollection', 'get', 'list', 'patch', 'create', 'update', 'watch'];

function globalRole(id: string, displayName: string, description: string, rules: PolicyRule[]): GlobalRole {
  return { id, displayName, description, builtin: true, newUserDefault: id === 'user', rules };
}

export const BUILTIN_GLOBAL_ROLES: readonly GlobalRole[] = deepFreeze([
  globalRole('clusters-create', 'Create Clusters', 'Create new clusters and read what creating one needs.', [
    rule([MGMT], ['clusters'], ['create']),
    rule(['provisioning.cattle.io'], ['clusters'], ['create']),
    rule([MGMT], ['templates', 'templateversions'], READ),
    rule([MGMT], ['nodedrivers'], READ),
    rule([MGMT], ['kontainerdrivers'], READ),
    rule([MGMT], ['podsecuritypolicytemplates'], READ),
    rule([MGMT], ['podsecurityadmissionconfigurationtemplates'], READ),
    rule([MGMT], ['nodetemplates'], ALL),
    rule([CORE], ['secrets'], ['create']),
    rule([MGMT], ['cisconfigs'], READ),
    rule([MGMT], ['cisbenchmarkversions'], READ),
    rule(['rke-machine-config.cattle.io'], ['*'], ['create']),
    rule([CATALOG], ['clusterrepos'], READ),
    rule(['rke.cattle.io'], ['etcdsnapshots'], READ),
  ]),
  globalRole('nodedrivers-manage', 'Manage Node Drivers', 'Enable, disable and configure node drivers.', [
    rule([MGMT], ['nodedrivers'], ALL),
  ]),
  globalRole('kontainerdrivers-manage', 'Manage Cluster Drivers', 'Enable, disable and configure cluster drivers.', [
    rule([MGMT], ['kontainerdrivers'], ALL),
  ]),
  globalRole('catalogs-manage', 'Manage Catalogs', 'Add, change and remove global catalogs.', [
    rule([MGMT], ['catalogs', 'templates', 'templateversions'], ALL),
  ]),
  globalRole('catalogs-use', 'Use Catalog Templates', 'Read catalog templates.', [
    rule([MGMT], ['templates', 'templateversions'], READ),
  ]),
  globalRole('users-manage', 'Manage Users', 'Create, change and remove users and their global role bindings.', [
    rule([MGMT], ['users', 'globalrolebindings'], ALL),
    rule([MGMT], ['globalroles'], READ),
  ]),
  globalRole('roles-manage', 'Manage Roles', 'Create, change and remove cluster and project role templates.', [
    rule([MGMT], ['roletemplates'], EDIT_VERBS),
  ]),
  globalRole('authn-manage', 'Manage Authentication', 'Configure authentication providers.', [
    rule([MGMT], ['authconfigs'], ['get', 'list', 'watch', 'update']),
  ]),
  globalRole('settings-manage', 'Manage Settings', 'Change global settings.', [rule([MGMT], ['settings'], ALL)]),
  globalRole('features-manage', 'Manage Features', 'Turn feature flags on and off.', [
    rule([MGMT], ['features'], ['get', 'list', 'watch', 'update']),
  ]),
  globalRole(
    'podsecuritypolicytemplates-manage',
    'Manage PodSecurityPolicy Templates',
    'Create, change and remove pod security policy templates.',
    [rule([MGMT], ['podsecuritypolicytemplates'], ALL)],
  ),
  globalRole('clustertemplates-create', 'Create RKE Templates', 'Create cluster templates.', [
    rule([MGMT], ['clustertemplates'], ['create']),
  ]),
  globalRole(
    'clustertemplaterevisions-create',
    'Create RKE Template Revisions',
    'Create revisions of cluster templates.',
    [rule([MGMT], ['clustertemplaterevisions'], ['create'])],
  ),
  globalRole('view-rancher-metrics', 'View Rancher Metrics', "Read the server's own metrics.", [
    rule([MGMT], ['ranchermetrics'], ['get']),
  ]),
  globalRole('admin', 'Admin', 'Full control over the server and every cluster.', [
    rule(['*'], ['*'], ALL),
    { nonResourceURLs: ['*'], verbs: ALL },
  ]),
  // Rancher also grants settings here when it was bootstrapped with a restricted default admin; Corral
  // has no such mode.
  globalRole(
    'restricted-admin',
    'Restricted Admin',
    'Full control over downstream clusters, limited control over the server itself.',
    [
      ...USER_RULES,
      rule([CATALOG], ['clusterrepos'], ALL),
      rule([MGMT], ['clustertemplates'], ALL),
      rule([MGMT], ['clustertemplaterevisions'], ALL),
      rule([MGMT], ['globalrolebindings'], ALL),
      rule([MGMT], ['globalroles'], EDIT_VERBS),
      rule([MGMT], ['users', 'userattribute', 'groups', 'groupmembers'], ALL),
      rule([MGMT], ['podsecuritypolicytemplates'], ALL),
      rule([MGMT], ['podsecurityadmissionconfigurationtemplates'], ALL),
      rule([MGMT], ['fleetworkspaces'], ALL),
      rule([MGMT], ['authconfigs'], ALL),
      rule([MGMT], ['nodedrivers'], ALL),
      rule([MGMT], ['kontainerdrivers'], ALL),
      rule([MGMT], ['roletemplates'], ALL),
      rule([MGMT], ['catalogs', 'templates', 'templateversions'], ALL),
      rule([MGMT], ['features'], ['update', 'patch', 'security-enable'], ['external-rules']),
    ],
  ),
  globalRole('user', 'User', 'Create clusters and use the clusters and projects one is a member of.', [
    ...USER_RULES,
    rule([CATALOG], ['clusterrepos'], READ),
    rule([MGMT], ['podsecuritypolicytemplates'], READ),
    rule([MGMT], ['podsecurityadmissionconfigurationtemplates'], READ),
  ]),
  globalRole('user-base', 'User Base', 'Log in, and read settings; nothing else unless granted.', [
    rule([MGMT], ['preferences'], ALL),
    rule([MGMT], ['settings'], READ),
    rule([MGMT], ['features'], READ),
    rule([PROJECT], ['sourcecodecredentials'], ALL),
    rule([PROJECT], ['sourcecoderepositories'], ALL),
    rule([MGMT], ['rancherusernotifications'], READ),
  ]),
]);

// ---- Role templates ---------------------------------------------------------------------------------

interface TemplateOptions {
  external?: boolean;
  hidden?: boolean;
  administrative?: boolean;
  clusterCreatorDefault?: boolean;
  projectCreatorDefault?: boolean;
  inherits?: string[];
  externalRules?: PolicyRule[];
}

/**
 * Rancher's templates for features Corral does not have yet (catalogs, cluster backups from the
 * UI, nav links, monitoring): still served and bindable, for Rancher's clients, but hidden, so
 * role pickers offer only roles that do something.
 */
const NOT_BUILT_YET = new Set([
  'clustercatalogs-manage',
  'clustercatalogs-view',
  'backups-manage',
  'navlinks-manage',
  'projectcatalogs-manage',
  'projectcatalogs-view',
  'monitoring-ui-view',
  'navlinks-view',
]);

function template(
  id: string,
  displayName: string,
  context: RoleTemplateContext,
  rules: PolicyRule[],
  options: TemplateOptions = {},
): RoleTemplate {
  const { inherits, externalRules, ...flags } = options;
  return {
    id,
    name: id,
    displayName,
    context,
    builtin: true,
    external: false,
    hidden: NOT_BUILT_YET.has(id),
    administrative: false,
    ...flags,
    ...(externalRules ? { externalRules } : {}),
    roleTemplateIds: inherits ?? [],
    rules,
  };
}

const kubernetesRole = (id: string, context: RoleTemplateContext, administrative = false): RoleTemplate =>
  template(id, `Kubernetes ${id}`, context, [], { external: true, hidden: true, administrative });

const ISTIO_CONFIG_RESOURCES = [
  'apikeys',
  'authorizations',
  'checknothings',
  'circonuses',
  'deniers',
  'fluentds',
  'handlers',
  'kubernetesenvs',
  'kuberneteses',
  'listcheckers',
  'listentries',
  'logentries',
  'memquotas',
  'metrics',
  'opas',
  'prometheuses',
  'quotas',
  'quotaspecbindings',
  'quotaspecs',
  'rbacs',
  'reportnothings',
  'rules',
  'solarwindses',
  'stackdrivers',
  'statsds',
  'stdios',
];

/** Monitoring and Istio rules shared by the three project roles, with `verbs` for the writable ones. */
function meshAndMonitoringRules(verbs: string[]): PolicyRule[] {
  return [
    rule(['monitoring.coreos.com'], ['prometheuses', 'prometheusrules', 'servicemonitors'], verbs),
    rule(
      ['networking.istio.io'],
      ['destinationrules', 'envoyfilters', 'gateways', 'serviceentries', 'sidecars', 'virtualservices'],
      verbs,
    ),
    rule(['config.istio.io'], ISTIO_CONFIG_RESOURCES, verbs),
    rule(['authentication.istio.io'], ['policies'], verbs),
    rule(['rbac.istio.io'], ['rbacconfigs', 'serviceroles', 'servicerolebindings'], verbs),
    rule(['security.istio.io'], ['authorizationpolicies'], verbs),
  ];
}

/** Read access to apps and the local cluster that every project role ends with. */
const PROJECT_ROLE_TAIL: PolicyRule[] = [
  rule([CATALOG], ['clusterrepos'], READ),
  rule([CATALOG], ['operations'], READ),
  rule([CATALOG], ['releases'], READ),
  rule([CATALOG], ['apps'], READ),
  rule([MGMT], ['clusters'], ['get'], ['local']),
];

const MONITORING_PROXY_NAMES = [
  'http:rancher-monitoring-prometheus:9090',
  'https:rancher-monitoring-prometheus:9090',
  'http:rancher-monitoring-alertmanager:9093',
  'https:rancher-monitoring-alertmanager:9093',
  'http:rancher-monitoring-grafana:80',
  'https:rancher-monitoring-grafana:80',
];
const MONITORING_ENDPOINT_NAMES = [
  'rancher-monitoring-prometheus',
  'rancher-monitoring-alertmanager',
  'rancher-monitoring-grafana',
];

export const BUILTIN_ROLE_TEMPLATES: readonly RoleTemplate[] = deepFreeze([
  // Kubernetes' own ClusterRoles, offered as templates.
  kubernetesRole('cluster-admin', 'cluster', true),
  kubernetesRole('admin', 'project'),
  kubernetesRole('edit', 'project'),
  kubernetesRole('view', 'project'),

  // Cluster roles
  template(
    'cluster-owner',
    'Cluster Owner',
    'cluster',
    [
      rule(['*'], ['*'], ALL),
      rule([MGMT], ['clusters'], ['own']),
      rule(['provisioning.cattle.io'], ['clusters'], ALL),
      rule(['rke.cattle.io'], ['etcdsnapshots'], READ),
      rule(['cluster.x-k8s.io'], ['machines'], ALL),
      rule(['rke-machine-config.cattle.io'], ['*'], ALL),
      rule(['rke-machine.cattle.io'], ['*'], ALL),
      rule([MGMT], ['projects'], ['updatepsa']),
      { nonResourceURLs: ['*'], verbs: ALL },
    ],
    { administrative: true, clusterCreatorDefault: true },
  ),
  template('cluster-member', 'Cluster Member', 'cluster', [
    rule(['ui.cattle.io'], ['navlinks'], READ),
    rule([MGMT], ['clusterroletemplatebindings'], READ),
    rule([MGMT], ['projects'], ['create']),
    rule([MGMT], ['nodes', 'nodepools'], READ),
    rule([CORE], ['nodes'], READ),
    rule([CORE], ['persistentvolumes'], READ),
    rule(['storage.k8s.io'], ['storageclasses'], READ),
    rule(['apiregistration.k8s.io'], ['apiservices'], READ),
    rule([MGMT], ['clusterevents'], READ),
    rule([MGMT], ['clusterloggings'], READ),
    rule([MGMT], ['clusteralertrules'], READ),
    rule([MGMT], ['clusteralertgroups'], READ),
    rule([MGMT], ['notifiers'], READ),
    rule([MGMT], ['clustercatalogs'], READ),
    rule([MGMT], ['clustermonitorgraphs'], READ),
    rule([MGMT], ['catalogtemplates'], READ),
    rule([MGMT], ['catalogtemplateversions'], READ),
    rule([CATALOG], ['clusterrepos'], READ),
    rule([MGMT], ['clusters'], ['get'], ['local']),
    rule(['provisioning.cattle.io'], ['clusters'], ['get', 'watch']),
    rule(['cluster.x-k8s.io'], ['machines'], ['get', 'watch']),
    rule(['cluster.x-k8s.io'], ['machinedeployments'], ['get', 'watch']),
    rule(['rke-machine-config.cattle.io'], ['*'], ['get', 'watch']),
    rule(['rke-machine.cattle.io'], ['*'], ['get', 'watch']),
    rule(['metrics.k8s.io'], ['nodemetrics', 'nodes'], READ),
  ]),
  template('projects-create', 'Create Projects', 'cluster', [rule([MGMT], ['projects'], ['create'])]),
  template(
    'projects-view',
    'View All Projects',
    'cluster',
    [
      rule([MGMT], ['projects'], READ),
      rule([MGMT], ['projectroletemplatebindings'], READ),
      rule([PROJECT], ['apps'], READ),
      rule([PROJECT], ['apprevisions'], READ),
      rule([CORE], ['namespaces'], READ),
      rule([CORE], ['persistentvolumes'], READ),
      rule(['storage.k8s.io'], ['storageclasses'], READ),
      rule([CORE], ['persistentvolumeclaims'], READ),
      rule([MGMT], ['clusterevents'], READ),
    ],
    { inherits: ['view'] },
  ),
  template('nodes-manage', 'Manage Nodes', 'cluster', [
    rule([MGMT], ['nodes', 'nodepools'], ALL),
    rule([CORE], ['nodes'], ALL),
    rule([MGMT], ['clustermonitorgraphs'], READ),
    rule(['cluster.x-k8s.io'], ['machines'], ALL),
    rule(['cluster.x-k8s.io'], ['machinedeployments'], ALL),
    rule(['rke-machine-config.cattle.io'], ['*'], ALL),
    rule(['rke-machine.cattle.io'], ['*'], ALL),
  ]),
  template('nodes-view', 'View Nodes', 'cluster', [
    rule([MGMT], ['nodes', 'nodepools'], READ),
    rule([CORE], ['nodes'], READ),
    rule([MGMT], ['clustermonitorgraphs'], READ),
    rule(['cluster.x-k8s.io'], ['machines'], ['get', 'watch']),
    rule(['cluster.x-k8s.io'], ['machinedeployments'], ['get', 'watch']),
    rule(['rke-machine-config.cattle.io'], ['*'], ['get', 'watch']),
    rule(['rke-machine.cattle.io'], ['*'], ['get', 'watch']),
  ]),
  template('storage-manage', 'Manage Storage', 'cluster', [
    rule([CORE], ['persistentvolumes'], ALL),
    rule(['storage.k8s.io'], ['storageclasses'], ALL),
    rule([CORE], ['persistentvolumeclaims'], ALL),
  ]),
  template('clusterroletemplatebindings-manage', 'Manage Cluster Members', 'cluster', [
    rule([MGMT], ['clusterroletemplatebindings'], ALL),
  ]),
  template('clusterroletemplatebindings-view', 'View Cluster Members', 'cluster', [
    rule([MGMT], ['clusterroletemplatebindings'], READ),
  ]),
  template(
    'clustercatalogs-manage',
    'Manage Cluster Catalogs',
    'cluster',
    [rule([MGMT], ['clustercatalogs'], ALL), rule([CATALOG], ['clusterrepos'], ALL)],
    { administrative: true },
  ),
  template('clustercatalogs-view', 'View Cluster Catalogs', 'cluster', [
    rule([MGMT], ['clustercatalogs'], READ),
    rule([CATALOG], ['clusterrepos'], READ),
  ]),
  template('backups-manage', 'Manage Cluster Backups', 'cluster', [rule([MGMT], ['etcdbackups'], ALL)]),
  template('navlinks-manage', 'Manage Navlinks', 'cluster', [rule(['ui.cattle.io'], ['navlinks'], ALL)]),

  // Project roles
  template(
    'project-owner',
    'Project Owner',
    'project',
    [
      rule(['ui.cattle.io'], ['navlinks'], READ),
      rule([CORE], ['nodes'], READ),
      rule([MGMT], ['projectroletemplatebindings'], ALL),
      rule([PROJECT], ['apps'], ALL),
      rule([PROJECT], ['apprevisions'], ALL),
      rule([PROJECT], ['sourcecodeproviderconfigs'], ALL),
      rule([CORE], ['namespaces'], ['create']),
      rule([CORE], ['persistentvolumes'], READ),
      rule(['storage.k8s.io'], ['storageclasses'], READ),
      rule(['apiregistration.k8s.io'], ['apiservices'], READ),
      rule([CORE], ['persistentvolumeclaims'], ALL),
      rule(['metrics.k8s.io'], ['pods'], ALL),
      rule([MGMT], ['clusterevents'], READ),
      rule([MGMT], ['notifiers'], READ),
      rule([MGMT], ['projectalertrules'], ALL),
      rule([MGMT], ['projectalertgroups'], ALL),
      rule([MGMT], ['projectloggings'], ALL),
      rule([MGMT], ['clustercatalogs'], READ),
      rule([MGMT], ['projectcatalogs'], ALL),
      rule([MGMT], ['projectmonitorgraphs'], ALL),
      rule([MGMT], ['catalogtemplates'], ALL),
      rule([MGMT], ['catalogtemplateversions'], ALL),
      rule(['monitoring.cattle.io'], ['prometheus'], ['view']),
      ...meshAndMonitoringRules(ALL),
      rule([MGMT], ['projects'], ['own']),
      ...PROJECT_ROLE_TAIL,
    ],
    { inherits: ['admin'], projectCreatorDefault: true },
  ),
  template(
    'project-member',
    'Project Member',
    'project',
    [
      rule(['ui.cattle.io'], ['navlinks'], READ),
      rule([MGMT], ['projectroletemplatebindings'], READ),
      rule([PROJECT], ['apps'], ALL),
      rule([PROJECT], ['apprevisions'], ALL),
      rule([CORE], ['namespaces'], ['create']),
      rule([CORE], ['persistentvolumes'], READ),
      rule(['storage.k8s.io'], ['storageclasses'], READ),
      rule(['apiregistration.k8s.io'], ['apiservices'], READ),
      rule([CORE], ['persistentvolumeclaims'], ALL),
      rule(['metrics.k8s.io'], ['pods'], ALL),
      rule([MGMT], ['clusterevents'], READ),
      rule([MGMT], ['notifiers'], READ),
      rule([MGMT], ['projectalertrules'], ALL),
      rule([MGMT], ['projectalertgroups'], ALL),
      rule([MGMT], ['projectloggings'], READ),
      rule([MGMT], ['clustercatalogs'], READ),
      rule([MGMT], ['projectcatalogs'], READ),
      rule([MGMT], ['projectmonitorgraphs'], READ),
      rule([MGMT], ['catalogtemplates'], READ),
      rule([MGMT], ['catalogtemplateversions'], READ),
      rule(['monitoring.cattle.io'], ['prometheus'], ['view']),
      ...meshAndMonitoringRules(ALL),
      ...PROJECT_ROLE_TAIL,
    ],
    { inherits: ['edit'] },
  ),
  template(
    'read-only',
    'Read-only',
    'project',
    [
      rule(['ui.cattle.io'], ['navlinks'], READ),
      rule([MGMT], ['projectroletemplatebindings'], READ),
      rule([PROJECT], ['apps'], READ),
      rule([PROJECT], ['apprevisions'], READ),
      rule([CORE], ['persistentvolumes'], READ),
      rule(['storage.k8s.io'], ['storageclasses'], READ),
      rule(['apiregistration.k8s.io'], ['apiservices'], READ),
      rule([CORE], ['persistentvolumeclaims'], READ),
      rule(['metrics.k8s.io'], ['pods'], READ),
      rule([MGMT], ['clusterevents'], READ),
      rule([MGMT], ['notifiers'], READ),
      rule([MGMT], ['projectalertrules'], READ),
      rule([MGMT], ['projectalertgroups'], READ),
      rule([MGMT], ['projectloggings'], READ),
      rule([MGMT], ['clustercatalogs'], READ),
      rule([MGMT], ['projectcatalogs'], READ),
      rule([MGMT], ['projectmonitorgraphs'], READ),
      ...meshAndMonitoringRules(READ),
      ...PROJECT_ROLE_TAIL,
    ],
    { inherits: ['view'] },
  ),
  template('create-ns', 'Create Namespaces', 'project', [rule([CORE], ['namespaces'], ['create'])]),
  template('workloads-manage', 'Manage Workloads', 'project', [
    rule(
      [CORE],
      [
        'pods',
        'pods/attach',
        'pods/exec',
        'pods/portforward',
        'pods/proxy',
        'replicationcontrollers',
        'replicationcontrollers/scale',
      ],
      ALL,
    ),
    rule(
      ['apps'],
      [
        'daemonsets',
        'deployments',
        'deployments/rollback',
        'deployments/scale',
        'replicasets',
        'replicasets/scale',
        'statefulsets',
        'statefulsets/scale',
      ],
      ALL,
    ),
    // A StatefulSet's and a DaemonSet's revisions (rollback reads them), as Kubernetes' view has.
    rule(['apps'], ['controllerrevisions'], READ),
    rule(['autoscaling'], ['horizontalpodautoscalers'], ALL),
    rule(['batch'], ['cronjobs', 'jobs'], ALL),
    rule(
      [CORE],
      [
        'limitranges',
        'pods/log',
        'pods/status',
        'replicationcontrollers/status',
        'resourcequotas',
        'resourcequotas/status',
        'bindings',
      ],
      READ,
    ),
    rule([PROJECT], ['apps'], ALL),
    rule([PROJECT], ['apprevisions'], ALL),
    rule([MGMT], ['projectmonitorgraphs'], READ),
  ]),
  template('workloads-view', 'View Workloads', 'project', [
    rule([CORE], ['pods', 'replicationcontrollers', 'replicationcontrollers/scale'], READ),
    rule(
      ['apps'],
      [
        'daemonsets',
        'deployments',
        'deployments/rollback',
        'deployments/scale',
        'replicasets',
        'replicasets/scale',
        'statefulsets',
        'controllerrevisions',
      ],
      READ,
    ),
    rule(['autoscaling'], ['horizontalpodautoscalers'], READ),
    rule(['batch'], ['cronjobs', 'jobs'], READ),
    rule(
      [CORE],
      [
        'limitranges',
        'pods/log',
        'pods/status',
        'replicationcontrollers/status',
        'resourcequotas',
        'resourcequotas/status',
        'bindings',
      ],
      READ,
    ),
    rule([PROJECT], ['apps'], READ),
    rule([PROJECT], ['apprevisions'], READ),
    rule([MGMT], ['projectmonitorgraphs'], READ),
  ]),
  template('ingress-manage', 'Manage Ingress', 'project', [
    rule(['extensions'], ['ingresses'], ALL),
    rule(['networking.k8s.io'], ['ingresses'], ALL),
  ]),
  template('ingress-view', 'View Ingress', 'project', [
    rule(['extensions'], ['ingresses'], READ),
    rule(['networking.k8s.io'], ['ingresses'], READ),
  ]),
  template('services-manage', 'Manage Services', 'project', [
    rule([CORE], ['services', 'services/proxy', 'endpoints'], ALL),
  ]),
  template('services-view', 'View Services', 'project', [rule([CORE], ['services', 'endpoints'], READ)]),
  template('secrets-manage', 'Manage Secrets', 'project', [rule([CORE], ['secrets'], ALL)]),
  template('secrets-view', 'View Secrets', 'project', [rule([CORE], ['secrets'], READ)]),
  template('configmaps-manage', 'Manage Config Maps', 'project', [rule([CORE], ['configmaps'], ALL)]),
  template('configmaps-view', 'View Config Maps', 'project', [rule([CORE], ['configmaps'], READ)]),
  template('persistentvolumeclaims-manage', 'Manage Volumes', 'project', [
    rule([CORE], ['persistentvolumes'], READ),
    rule(['storage.k8s.io'], ['storageclasses'], READ),
    rule([CORE], ['persistentvolumeclaims'], ALL),
  ]),
  template('persistentvolumeclaims-view', 'View Volumes', 'project', [
    rule([CORE], ['persistentvolumes'], READ),
    rule(['storage.k8s.io'], ['storageclasses'], READ),
    rule([CORE], ['persistentvolumeclaims'], READ),
  ]),
  template('serviceaccounts-manage', 'Manage Service Accounts', 'project', [rule([CORE], ['serviceaccounts'], ALL)]),
  template('serviceaccounts-view', 'View Service Accounts', 'project', [rule([CORE], ['serviceaccounts'], READ)]),
  template('projectroletemplatebindings-manage', 'Manage Project Members', 'project', [
    rule([MGMT], ['projectroletemplatebindings'], ALL),
  ]),
  template('projectroletemplatebindings-view', 'View Project Members', 'project', [
    rule([MGMT], ['projectroletemplatebindings'], READ),
  ]),
  template('projectcatalogs-manage', 'Manage Project Catalogs', 'project', [rule([MGMT], ['projectcatalogs'], ALL)]),
  template('projectcatalogs-view', 'View Project Catalogs', 'project', [rule([MGMT], ['projectcatalogs'], READ)]),
  template(
    'project-monitoring-readonly',
    'Project Monitoring View Role',
    'project',
    [rule(['monitoring.cattle.io'], ['prometheus'], ['view'])],
    { hidden: true, inherits: ['view'] },
  ),
  // External: its ClusterRole comes with the monitoring chart; these are the rules Rancher assumes it has.
  template('monitoring-ui-view', 'View Monitoring', 'project', [], {
    external: true,
    externalRules: [
      rule([CORE], ['services/proxy'], ['get', 'create'], MONITORING_PROXY_NAMES),
      rule([CORE], ['endpoints'], ['list'], MONITORING_ENDPOINT_NAMES),
    ],
  }),
  template('navlinks-view', 'View Navlinks', 'project', [rule(['ui.cattle.io'], ['navlinks'], READ)]),
]);

const globalRolesById = new Map(BUILTIN_GLOBAL_ROLES.map((r) => [r.id, r]));
const roleTemplatesById = new Map(BUILTIN_ROLE_TEMPLATES.map((t) => [t.id, t]));

export function builtinGlobalRole(id: string): GlobalRole | undefined {
  return globalRolesById.get(id);
}

export function builtinRoleTemplate(id: string): RoleTemplate | undefined {
  return roleTemplatesById.get(id);
}
