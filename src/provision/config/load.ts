import { X509Certificate } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { basename, dirname, isAbsolute, resolve } from 'node:path';
import { isIP } from 'node:net';
import { parseAllDocuments } from 'yaml';
import { binDir } from '../../kube/binaries.js';
import { DEFAULTS, defaultDnsServer, NETWORK_PLUGINS, RKE_NETWORK_PLUGINS, SYSTEM_IMAGE_KEYS } from './defaults.js';
import { ConfigError, nearest } from './issues.js';
import { cidrContains, cidrsOverlap, isDnsName, parseCidr, type Cidr } from './net.js';
import * as K from './rke-keys.js';
import type {
  ClusterConfig,
  ConfigIssue,
  CorralExtension,
  EtcdService,
  NodeConfig,
  NodeRole,
  S3BackupConfig,
  Services,
  Taint,
  UpgradeStrategy,
} from './types.js';
import { normalizeVersion, supportedVersions } from './versions.js';
import { YamlReader, type Field, type KeySpec } from './yaml-reader.js';

export { ConfigError, formatIssue } from './issues.js';

export interface LoadOptions {
  /** Shown in messages, e.g. "cluster.yml". */
  fileName: string;
  /** Relative paths in the file (ssh_key_path, addons_include, corral.binaries.local_dir) start here. */
  baseDir: string;
  /** What `~` means (default: the user's home folder). */
  home?: string;
}

export interface LoadResult {
  config: ClusterConfig;
  warnings: ConfigIssue[];
}

const ROLES: NodeRole[] = ['etcd', 'controlplane', 'worker'];
const TAINT_EFFECTS: Taint['effect'][] = ['NoSchedule', 'PreferNoSchedule', 'NoExecute'];
const LABEL_NAME = /^(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const LABEL_VALUE = /^(|(?=.{1,63}$)[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)$/;

const absent = (path: string): Field => ({ path, node: null, anchor: null });
/** A key missing from a map: reported at the map. */
const missingIn = (parent: Field, key: string): Field => ({
  path: `${parent.path}.${key}`,
  node: null,
  anchor: parent.node,
});
const isHost = (name: string) => isIP(name) !== 0 || isDnsName(name.toLowerCase());

/** Reads cluster.yml from disk; a missing file says how to make one. */
export async function readClusterConfig(path: string, opts: { home?: string } = {}): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    const name = basename(path) === 'cluster.yml' && dirname(path) === '.' ? '' : ` --name ${path}`;
    throw new Error(
      `${path} not found: create it with \`corral config${name}\` (asks about each node) ` +
        `or \`corral config${name} --empty\` (a template to edit)`,
      { cause: err },
    );
  }
  return loadClusterConfig(text, { fileName: path, baseDir: dirname(resolve(path)), home: opts.home });
}

/**
 * Parses, validates and defaults cluster.yml (RKE's schema plus Corral's `corral:` key). Every
 * problem in the file is reported at once in a ConfigError; things that are allowed but have no
 * effect come back as warnings.
 */
export function loadClusterConfig(text: string, opts: LoadOptions): LoadResult {
  const r = new YamlReader(text);
  if (!r.syntaxOk) throw new ConfigError(opts.fileName, r.errors);
  const loader = new Loader(r, opts);
  const config = loader.load();
  if (r.errors.length) throw new ConfigError(opts.fileName, sorted(r.errors));
  return { config, warnings: sorted(r.warnings) };
}

function sorted(issues: ConfigIssue[]): ConfigIssue[] {
  return [...issues].sort((a, b) => a.line - b.line || a.column - b.column);
}

class Loader {
  private readonly home: string;

  constructor(
    private readonly r: YamlReader,
    private readonly opts: LoadOptions,
  ) {
    this.home = opts.home ?? homedir();
  }

  /** The fields of a map of settings; none when it is absent (or, after reporting, not a map). */
  private section(f: Field | undefined, path: string, spec: KeySpec): Map<string, Field> {
    return this.r.map(f ?? absent(path), spec) ?? new Map<string, Field>();
  }

  /** `~` expanded, then relative paths taken from the folder of cluster.yml. */
  private path(p: string): string {
    const expanded = p === '~' ? this.home : p.startsWith('~/') ? `${this.home}/${p.slice(2)}` : p;
    return isAbsolute(expanded) ? expanded : resolve(this.opts.baseDir, expanded);
  }

  load(): ClusterConfig {
    const { r } = this;
    const top = r.map(r.root, K.TOP_KEYS) ?? new Map<string, Field>();
    const get = (k: string) => top.get(k);

    // As in RKE, an empty string counts as not given and takes the default.
    const sshKeyPath = this.path(r.str(get('ssh_key_path'), DEFAULTS.ssh_key_path));
    const nodes = this.nodes(get('nodes') ?? absent('nodes'), sshKeyPath);
    const corral = this.corral(get('corral'));
    const services = this.services(get('services'));
    return {
      cluster_name: r.str(get('cluster_name'), DEFAULTS.cluster_name),
      nodes,
      ssh_key_path: sshKeyPath,
      ssh_agent_auth: r.bool(get('ssh_agent_auth'), false),
      kubernetes_version: this.version(get('kubernetes_version'), corral),
      services,
      authentication: this.authentication(get('authentication')),
      authorization: this.authorization(get('authorization')),
      network: this.network(get('network')),
      dns: this.dns(get('dns')),
      monitoring: {
        provider: this.oneOf(
          this.section(get('monitoring'), 'monitoring', K.MONITORING_KEYS).get('provider'),
          ['metrics-server', 'none'] as const,
          DEFAULTS.monitoring_provider,
        ),
      },
      system_images: this.systemImages(get('system_images')),
      private_registries: this.privateRegistries(get('private_registries')),
      addons: this.addons(get('addons')),
      addons_include: this.addonsInclude(get('addons_include')),
      upgrade_strategy: this.upgradeStrategy(get('upgrade_strategy')),
      corral,
    };
  }

  // --- nodes ---------------------------------------------------------------------------------

  private nodes(f: Field, sshKeyPath: string): NodeConfig[] {
    const { r } = this;
    const items = r.seq(f, 'nodes: [{address: 10.0.0.1, user: ubuntu, role: [controlplane, etcd, worker]}]');
    const parsed = items.flatMap((item) => {
      const node = this.node(item, sshKeyPath);
      return node ? [{ ...node, item }] : [];
    });
    const nodes = parsed.map((p) => p.config);
    if (items.length === 0) {
      const here = f.node === null && f.anchor === null ? { ...f, anchor: r.root.node } : f;
      r.error(
        here,
        'required: list at least one node with address, user and role (`corral config` writes a file for you)',
      );
      return nodes;
    }
    this.duplicates(parsed);
    const atKey = { ...f, node: null };
    for (const role of ROLES) {
      if (!nodes.some((n) => n.role.includes(role)) && parsed.length === items.length) {
        r.error(
          atKey,
          `no node has the ${role} role: a cluster needs at least one ${role} node (add "${role}" to a node's role list)`,
        );
      }
    }
    const etcd = nodes.filter((n) => n.role.includes('etcd')).length;
    if (etcd % 2 === 0 && etcd > 0) {
      r.warn(
        atKey,
        `${etcd} etcd nodes: an even number tolerates no more failures than ${etcd - 1}; use an odd number`,
      );
    }
    return nodes;
  }

  private node(
    item: Field,
    clusterKeyPath: string,
  ): { config: NodeConfig; addressField?: Field; hostnameField?: Field } | null {
    const { r } = this;
    const m = r.map(item, K.NODE_KEYS, '{address: 10.0.0.1, user: ubuntu, role: [worker]}');
    if (!m) return null;
    const missing = (k: string) => missingIn(item, k);
    const address = r.str(m.get('address'), '').trim();
    if (!address)
      r.error(
        m.get('address') ?? missing('address'),
        'required: the IP address or DNS name to reach the node over SSH',
      );
    else if (!isHost(address)) r.error(m.get('address')!, `"${address}" is not an IP address or DNS name`);
    const user = r.str(m.get('user'), '');
    // RKE has no default user and requires one per node; Corral does the same (the wizard offers "ubuntu").
    if (!user) r.error(m.get('user') ?? missing('user'), 'required: the SSH user (for example ubuntu or root)');

    const role = this.roles(m.get('role'), missing('role'));
    const hostnameField = m.get('hostname_override');
    const hostname = (r.str(hostnameField, '') || address).toLowerCase();
    // Defaulted from a valid address, the name is valid too — except an IPv6 address, not a name.
    if (!r.present(hostnameField) && isIP(address) === 6) {
      r.error(
        m.get('address')!,
        `the node name defaults to the address, and an IPv6 address is not a valid name: set hostname_override`,
      );
    } else if (r.present(hostnameField) && !isDnsName(hostname)) {
      r.error(
        hostnameField,
        `"${hostname}" is not a valid node name: use lower-case letters, digits, "-" and "." (a DNS name)`,
      );
    }
    const internal = r.str(m.get('internal_address'), '').trim() || address;
    if (internal !== address && !isHost(internal)) {
      r.error(m.get('internal_address')!, `"${internal}" is not an IP address or DNS name`);
    }
    const keyPath = r.str(m.get('ssh_key_path'), '');
    return {
      config: {
        address,
        port: r.int(m.get('port'), DEFAULTS.ssh_port, { min: 1, max: 65535 }),
        internal_address: internal,
        role,
        hostname_override: hostname,
        user,
        ssh_key_path: keyPath ? this.path(keyPath) : clusterKeyPath,
        ssh_key: r.str(m.get('ssh_key'), ''),
        labels: this.labels(m.get('labels')),
        taints: this.taints(m.get('taints')),
      },
      addressField: m.get('address'),
      hostnameField,
    };
  }

  private roles(f: Field | undefined, missing: Field): NodeRole[] {
    const { r } = this;
    const example = 'role: [controlplane, etcd, worker]';
    if (!r.present(f)) {
      r.error(f ?? missing, `required: the node's roles, a list of etcd, controlplane and worker; write ${example}`);
      return [];
    }
    const before = r.errors.length;
    const items = r.seq(f, example);
    if (items.length === 0 && r.errors.length === before) {
      r.error(f, `must not be empty: give at least one of etcd, controlplane, worker; write ${example}`);
    }
    const roles: NodeRole[] = [];
    for (const item of items) {
      const value = r.str(item, '');
      if ((ROLES as string[]).includes(value)) {
        if (roles.includes(value as NodeRole)) r.warn(item, `"${value}" is listed twice`);
        else roles.push(value as NodeRole);
      } else {
        const near = nearest(value, ROLES);
        r.error(
          item,
          `unknown role "${value}": ${near ? `did you mean "${near}"? ` : ''}roles are etcd, controlplane and worker`,
        );
      }
    }
    return roles;
  }

  private labels(f: Field | undefined): Record<string, string> {
    const { r } = this;
    return r.strMap(f, 'labels: {disk: ssd}', (k, v, at) => {
      const [prefix, name] = k.includes('/') ? [k.slice(0, k.indexOf('/')), k.slice(k.indexOf('/') + 1)] : ['', k];
      if ((prefix && !isDnsName(prefix)) || !LABEL_NAME.test(name)) {
        r.error(
          at,
          `"${k}" is not a valid label key: [prefix/]name, the name at most 63 letters, digits, "-", "_" or "."`,
        );
      }
      if (!LABEL_VALUE.test(v)) {
        r.error(
          at,
          `"${v}" is not a valid label value: at most 63 letters, digits, "-", "_" or ".", starting and ending with a letter or digit`,
        );
      }
    });
  }

  private taints(f: Field | undefined): Taint[] {
    const { r } = this;
    const taints: Taint[] = [];
    for (const item of r.seq(f, 'taints: [{key: dedicated, value: db, effect: NoSchedule}]')) {
      const m = r.map(item, K.TAINT_KEYS);
      if (!m) continue;
      const key = r.str(m.get('key'), '');
      if (!key) r.error(m.get('key') ?? missingIn(item, 'key'), 'required: the taint key');
      const effect = r.str(m.get('effect'), '');
      if (!(TAINT_EFFECTS as string[]).includes(effect)) {
        r.error(
          m.get('effect') ?? missingIn(item, 'effect'),
          `${effect ? `"${effect}" is not a taint effect` : 'required'}: use one of ${TAINT_EFFECTS.join(', ')}`,
        );
      }
      taints.push({ key, value: r.str(m.get('value'), ''), effect: effect as Taint['effect'] });
    }
    return taints;
  }

  /** Two entries for one machine or one node name would fight over the same node. */
  private duplicates(parsed: { config: NodeConfig; item: Field; addressField?: Field; hostnameField?: Field }[]): void {
    const byEndpoint = new Map<string, Field>();
    const byName = new Map<string, Field>();
    for (const { config: n, item, addressField, hostnameField } of parsed) {
      const endpoint = `${n.address}:${n.port}`;
      const first = byEndpoint.get(endpoint);
      if (n.address && first) {
        this.r.error(addressField ?? item, `duplicate node: ${n.address} port ${n.port} is already ${first.path}`);
        continue;
      }
      byEndpoint.set(endpoint, item);
      const sameName = byName.get(n.hostname_override);
      if (n.hostname_override && sameName) {
        this.r.error(
          { ...(hostnameField ?? addressField ?? item), path: `${item.path}.hostname_override` },
          `duplicate node name "${n.hostname_override}" (also ${sameName.path}): give each node its own hostname_override`,
        );
      } else byName.set(n.hostname_override, item);
    }
  }

  // --- services ------------------------------------------------------------------------------

  private extraArgs(f: Field | undefined): Record<string, string> {
    return this.r.strMap(f, 'extra_args: {v: "2"}', (k, _v, at) => {
      if (k.startsWith('-')) this.r.error(at, `write the flag name without leading dashes: "${k.replace(/^-+/, '')}"`);
    });
  }

  private services(f: Field | undefined): Services {
    const { r } = this;
    const m = this.section(f, 'services', K.SERVICES_KEYS);
    const sub = (name: string) => m.get(name) ?? absent(`services.${name}`);

    const api = this.section(m.get('kube-api'), 'services.kube-api', K.KUBE_API_KEYS);
    const serviceRangeText = r.str(api.get('service_cluster_ip_range'), DEFAULTS.service_cluster_ip_range);
    const serviceRange = this.cidr(api.get('service_cluster_ip_range'), serviceRangeText);
    const nodePortRange = r.str(api.get('service_node_port_range'), DEFAULTS.service_node_port_range);
    this.portRange(api.get('service_node_port_range'), nodePortRange);
    const psc = r.str(api.get('pod_security_configuration'), '');
    if (psc && psc !== 'privileged') {
      r.error(
        api.get('pod_security_configuration')!,
        `"${psc}" is not supported: Corral runs Pod Security admission with Kubernetes' defaults (privileged); ` +
          'enforce a level per namespace with the pod-security.kubernetes.io/enforce label',
      );
    }
    const enc = api.get('secrets_encryption_config');
    if (r.present(enc)) {
      const encMap = r.map(enc, { known: ['enabled', 'custom_config'] });
      if (encMap && r.bool(encMap.get('enabled'), false)) {
        r.error(encMap.get('enabled')!, 'not supported: Corral does not configure encryption of Secrets at rest yet');
      }
    }

    const ctl = this.section(m.get('kube-controller'), 'services.kube-controller', K.KUBE_CONTROLLER_KEYS);
    const ctlRangeField = ctl.get('service_cluster_ip_range');
    const ctlRange = r.str(ctlRangeField, serviceRangeText);
    if (r.present(ctlRangeField) && ctlRange !== serviceRangeText) {
      r.error(
        ctlRangeField,
        `must equal services.kube-api.service_cluster_ip_range (${serviceRangeText}): ` +
          'both components must agree on the service network; remove this key or make the two the same',
      );
    }
    const clusterCidrText = r.str(ctl.get('cluster_cidr'), DEFAULTS.cluster_cidr);
    const clusterCidr = this.cidr(ctl.get('cluster_cidr'), clusterCidrText);
    if (serviceRange && clusterCidr && cidrsOverlap(serviceRange, clusterCidr)) {
      r.error(
        ctl.get('cluster_cidr') ?? api.get('service_cluster_ip_range') ?? sub('kube-controller'),
        `${clusterCidrText} (pods) overlaps ${serviceRangeText} (services): choose ranges that do not overlap`,
      );
    }

    const kubelet = this.section(m.get('kubelet'), 'services.kubelet', K.KUBELET_KEYS);
    const dns = r.str(kubelet.get('cluster_dns_server'), defaultDnsServer(serviceRangeText));
    this.dnsServer(kubelet.get('cluster_dns_server') ?? sub('kubelet'), dns, serviceRange);
    const domain = r.str(kubelet.get('cluster_domain'), DEFAULTS.cluster_domain);
    if (!isDnsName(domain)) {
      r.error(
        kubelet.get('cluster_domain')!,
        `"${domain}" is not a DNS domain (RKE's default is ${DEFAULTS.cluster_domain})`,
      );
    }

    const scheduler = this.section(m.get('scheduler'), 'services.scheduler', K.PLAIN_SERVICE_KEYS);
    const proxy = this.section(m.get('kubeproxy'), 'services.kubeproxy', K.PLAIN_SERVICE_KEYS);
    return {
      etcd: this.etcd(sub('etcd')),
      'kube-api': {
        service_cluster_ip_range: serviceRangeText,
        service_node_port_range: nodePortRange,
        extra_args: this.extraArgs(api.get('extra_args')),
      },
      'kube-controller': {
        cluster_cidr: clusterCidrText,
        service_cluster_ip_range: serviceRangeText,
        extra_args: this.extraArgs(ctl.get('extra_args')),
      },
      scheduler: { extra_args: this.extraArgs(scheduler.get('extra_args')) },
      kubelet: {
        cluster_domain: domain,
        cluster_dns_server: dns,
        fail_swap_on: r.bool(kubelet.get('fail_swap_on'), false),
        extra_args: this.extraArgs(kubelet.get('extra_args')),
      },
      kubeproxy: { extra_args: this.extraArgs(proxy.get('extra_args')) },
    };
  }

  private cidr(f: Field | undefined, text: string): Cidr | null {
    const cidr = parseCidr(text);
    if (!cidr && f) this.r.error(f, `"${text}" is not a CIDR: write an address and a prefix length, like 10.43.0.0/16`);
    return cidr;
  }

  private portRange(f: Field | undefined, text: string): void {
    const m = /^(\d+)-(\d+)$/.exec(text);
    const [lo, hi] = m ? [Number(m[1]), Number(m[2])] : [0, 0];
    if (f && !(m && lo >= 1 && hi <= 65535 && lo < hi)) {
      this.r.error(
        f,
        `"${text}" is not a port range: write first-last with 1 ≤ first < last ≤ 65535, like ${DEFAULTS.service_node_port_range}`,
      );
    }
  }

  private dnsServer(f: Field, ip: string, range: Cidr | null): void {
    if (!isIP(ip)) {
      this.r.error(f, `"${ip}" is not an IP address (RKE's default is ${DEFAULTS.cluster_dns_server})`);
      return;
    }
    if (!range) return;
    if (!cidrContains(range, ip)) {
      this.r.error(f, `${ip} is outside the service range ${range.text}: the DNS service needs an address in it`);
    } else if (parseCidr(`${ip}/${range.bits}`)!.base - range.base <= 1n) {
      // The network address is not assignable, and the API server takes the first one for "kubernetes".
      this.r.error(
        f,
        `${ip} is reserved in ${range.text} (network address or the kubernetes service); use another, like ${DEFAULTS.cluster_dns_server}`,
      );
    }
  }

  private etcd(f: Field): EtcdService {
    const { r } = this;
    const m = this.section(f, f.path, K.ETCD_KEYS);
    const extra = { ...DEFAULTS.etcd_extra_args, ...this.extraArgs(m.get('extra_args')) };
    const backup = this.section(m.get('backup_config'), `${f.path}.backup_config`, K.BACKUP_KEYS);
    return {
      extra_args: extra,
      backup_config: {
        enabled: r.bool(backup.get('enabled'), true),
        interval_hours: r.int(backup.get('interval_hours'), DEFAULTS.backup_interval_hours, { min: 1 }),
        retention: r.int(backup.get('retention'), DEFAULTS.backup_retention, { min: 1 }),
        s3backupconfig: this.s3(backup.get('s3backupconfig')),
      },
    };
  }

  private s3(f: Field | undefined): S3BackupConfig | null {
    const { r } = this;
    if (!r.present(f)) return null;
    const m = r.map(f, K.S3_KEYS);
    if (!m) return null;
    const s = (k: string) => r.str(m.get(k), '');
    const missing = (k: string) => m.get(k) ?? missingIn(f, k);
    const s3: S3BackupConfig = {
      access_key: s('access_key'),
      secret_key: s('secret_key'),
      bucket_name: s('bucket_name'),
      region: s('region'),
      endpoint: s('endpoint'),
      custom_ca: s('custom_ca'),
      folder: s('folder'),
    };
    if (!s3.endpoint)
      r.error(missing('endpoint'), 'required with s3backupconfig: the S3 endpoint, like s3.amazonaws.com');
    if (!s3.bucket_name)
      r.error(missing('bucket_name'), 'required with s3backupconfig: the bucket to keep snapshots in');
    if (s3.custom_ca) {
      try {
        new X509Certificate(s3.custom_ca);
      } catch {
        r.error(m.get('custom_ca')!, 'is not a PEM certificate (-----BEGIN CERTIFICATE----- …)');
      }
    }
    return s3;
  }

  // --- the rest ------------------------------------------------------------------------------

  private version(f: Field | undefined, corral: CorralExtension): string {
    const { r } = this;
    const upload = corral.binaries.source === 'upload';
    const dir = upload ? corral.binaries.local_dir : binDir();
    const supported = supportedVersions(dir);
    const given = r.str(f, '');
    const here = f ?? { path: 'kubernetes_version', node: null, anchor: r.root.node };
    if (!given) {
      if (supported[0]) return supported[0];
      r.error(
        here,
        upload
          ? `no Kubernetes binaries in ${dir}: build them with \`npm run k8s:build\` or set corral.binaries.local_dir`
          : 'required with corral.binaries.source: host: the Kubernetes version installed on the nodes',
      );
      return '';
    }
    const version = normalizeVersion(given);
    if (!version) {
      r.error(here, `"${given}" is not a Kubernetes version: write it like ${supported[0] ?? 'v1.36.5'}`);
      return '';
    }
    if (upload && !supported.includes(version)) {
      const list = supported.length ? `supported: ${supported.join(', ')}` : 'no binaries are built';
      r.error(here, `${given} is not supported (${list}; the binaries in ${dir})`);
    }
    return version;
  }

  private authentication(f: Field | undefined): ClusterConfig['authentication'] {
    const { r } = this;
    const m = this.section(f, 'authentication', K.AUTHN_KEYS);
    const strategy = r.str(m.get('strategy'), DEFAULTS.authentication_strategy);
    if (strategy !== 'x509') {
      r.error(m.get('strategy')!, `"${strategy}" is not supported: the only authentication strategy is x509`);
    }
    const sans = r.strList(m.get('sans'), 'sans: [api.example.com, 10.0.0.100]', (san, at) => {
      if (!isHost(san.replace(/^\*\./, ''))) r.error(at, `"${san}" is not an IP address or DNS name`);
    });
    return { strategy: 'x509', sans };
  }

  private authorization(f: Field | undefined): ClusterConfig['authorization'] {
    const { r } = this;
    const m = this.section(f, 'authorization', K.AUTHZ_KEYS);
    const mode = r.str(m.get('mode'), DEFAULTS.authorization_mode);
    if (mode !== 'rbac' && mode !== 'none') {
      r.error(m.get('mode')!, `"${mode}" is not an authorization mode: use rbac or none`);
      return { mode: 'rbac' };
    }
    return { mode };
  }

  private network(f: Field | undefined): ClusterConfig['network'] {
    const { r } = this;
    const m = this.section(f, 'network', K.NETWORK_KEYS);
    const plugin = r.str(m.get('plugin'), DEFAULTS.network_plugin);
    if (RKE_NETWORK_PLUGINS.includes(plugin)) {
      r.error(
        m.get('plugin')!,
        `"${plugin}" is not available: Corral deploys flannel. Use \`plugin: flannel\`, or \`plugin: none\` and ` +
          `install ${plugin} through addons_include (its manifest file or https URL) or addons`,
      );
    } else if (!(NETWORK_PLUGINS as readonly string[]).includes(plugin)) {
      r.error(
        m.get('plugin')!,
        `unknown network plugin "${plugin}": use flannel, or none and install a CNI through addons_include or addons`,
      );
    }
    const options = r.strMap(m.get('options'));
    const backend = options.flannel_backend_type;
    if (backend !== undefined && backend !== 'vxlan' && backend !== 'host-gw')
      r.error(m.get('options')!, `flannel_backend_type "${backend}" is not one of vxlan, host-gw`);
    return { plugin: plugin === 'none' ? 'none' : 'flannel', options };
  }

  private dns(f: Field | undefined): ClusterConfig['dns'] {
    const m = this.section(f, 'dns', K.DNS_KEYS);
    return {
      provider: this.oneOf(m.get('provider'), ['coredns', 'none'] as const, DEFAULTS.dns_provider),
      upstreamnameservers: this.r.strList(m.get('upstreamnameservers'), 'upstreamnameservers: [1.1.1.1, 8.8.4.4]'),
    };
  }

  private privateRegistries(f: Field | undefined): ClusterConfig['private_registries'] {
    const { r } = this;
    const out: ClusterConfig['private_registries'] = [];
    const example = 'private_registries: [{url: registry.example.com:5000, user: ci, password: ...}]';
    for (const item of r.seq(f, example)) {
      const m = r.map(item, K.REGISTRY_KEYS, '{url: registry.example.com:5000, user: ci, password: ...}');
      if (!m) continue;
      const url = r.str(m.get('url'), '').trim();
      if (!url)
        r.error(m.get('url') ?? missingIn(item, 'url'), 'required: the registry host[:port], as images name it');
      else if (!/^[a-z0-9.-]+(:\d{1,5})?$/i.test(url))
        r.error(
          m.get('url')!,
          `"${url}" is not host[:port]: write it as images name it, like registry.example.com:5000`,
        );
      const user = r.str(m.get('user'), '');
      const password = r.str(m.get('password'), '');
      if (Boolean(user) !== Boolean(password))
        r.error(
          m.get(user ? 'user' : 'password')!,
          'user and password go together: give both, or neither for anonymous pulls',
        );
      const ca = r.str(m.get('ca_cert'), '');
      if (ca) {
        try {
          new X509Certificate(ca);
        } catch {
          r.error(m.get('ca_cert')!, 'is not a PEM certificate (-----BEGIN CERTIFICATE----- …)');
        }
      }
      const isDefault = r.bool(m.get('is_default'), false);
      if (isDefault)
        r.warn(
          m.get('is_default')!,
          'Corral loads its own system images onto the nodes; name images of this registry in system_images to pull them from it',
        );
      if (out.some((o) => o.url === url)) r.error(m.get('url')!, `${url} is listed twice`);
      out.push({ url, user, password, is_default: isDefault, ca_cert: ca });
    }
    return out;
  }

  private systemImages(f: Field | undefined): ClusterConfig['system_images'] {
    const known = SYSTEM_IMAGE_KEYS as readonly string[];
    const out: Record<string, string> = {};
    this.r.strMap(f, 'system_images: {coredns: registry.example.com/coredns:1.15.0}', (k, v, at) => {
      // RKE files list an image for every component; those Corral runs as processes say so.
      if (!known.includes(k)) {
        if (v.trim())
          this.r.warn(
            at,
            `ignored: Corral runs no "${k}" image (Kubernetes and etcd run as processes); it uses ${known.join(', ')}`,
          );
      } else if (v.trim()) out[k] = v.trim();
    });
    return out as ClusterConfig['system_images'];
  }

  private addons(f: Field | undefined): string {
    const text = this.r.str(f, '');
    if (!text.trim()) return text;
    const bad = parseAllDocuments(text).flatMap((d) => ('errors' in d ? d.errors : []));
    if (bad[0]) this.r.error(f!, `is not valid YAML: ${bad[0].message.split('\n')[0]}`);
    return text;
  }

  private addonsInclude(f: Field | undefined): string[] {
    const { r } = this;
    const out: string[] = [];
    for (const item of r.seq(f, 'addons_include: [./cni.yaml, https://example.com/app.yaml]')) {
      const entry = r.str(item, '').trim();
      if (!entry) continue;
      if (/^https:\/\//.test(entry)) out.push(entry);
      else if (/^[a-z]+:\/\//i.test(entry)) {
        r.error(
          item,
          `"${entry}": only https URLs are allowed (a manifest fetched over plain http could be altered on the way)`,
        );
      } else {
        const path = this.path(entry);
        if (!existsSync(path))
          r.error(item, `file not found: ${path} (paths are relative to the folder of ${this.opts.fileName})`);
        out.push(path);
      }
    }
    return out;
  }

  private upgradeStrategy(f: Field | undefined): UpgradeStrategy {
    const { r } = this;
    const m = this.section(f, 'upgrade_strategy', K.UPGRADE_KEYS);
    const unavailable = (k: string, def: string) => {
      const field = m.get(k);
      const value = r.str(field, def).trim();
      const pct = /^(\d+)%$/.exec(value);
      const ok = pct ? Number(pct[1]) >= 1 && Number(pct[1]) <= 100 : /^\d+$/.test(value) && Number(value) >= 1;
      if (!ok) {
        r.error(
          field!,
          `"${value}" must be a number of nodes (at least 1) or a percentage from 1% to 100%, like ${def}`,
        );
        return def;
      }
      return value;
    };
    const d = this.section(m.get('node_drain_input'), 'upgrade_strategy.node_drain_input', K.DRAIN_KEYS);
    const di = DEFAULTS.node_drain_input;
    return {
      max_unavailable_worker: unavailable('max_unavailable_worker', DEFAULTS.max_unavailable_worker),
      max_unavailable_controlplane: unavailable('max_unavailable_controlplane', DEFAULTS.max_unavailable_controlplane),
      drain: r.bool(m.get('drain'), DEFAULTS.drain),
      node_drain_input: {
        force: r.bool(d.get('force'), di.force),
        ignore_daemonsets: r.bool(d.get('ignore_daemonsets'), di.ignore_daemonsets),
        delete_local_data: r.bool(d.get('delete_local_data'), di.delete_local_data),
        grace_period: r.int(d.get('grace_period'), di.grace_period, { min: -1 }),
        timeout: r.int(d.get('timeout'), di.timeout, { min: 1, max: 10800 }),
      },
    };
  }

  private corral(f: Field | undefined): CorralExtension {
    const { r } = this;
    const m = this.section(f, 'corral', K.CORRAL_KEYS);
    const b = this.section(m.get('binaries'), 'corral.binaries', K.BINARIES_KEYS);
    const source = this.oneOf(b.get('source'), ['upload', 'host'] as const, 'upload');
    const localDir = r.str(b.get('local_dir'), '');
    const path = r.str(b.get('path'), DEFAULTS.binaries_path);
    if (!path.startsWith('/'))
      r.error(b.get('path')!, `must be an absolute path on the nodes, like ${DEFAULTS.binaries_path}`);
    return {
      binaries: { source, local_dir: localDir ? this.path(localDir) : binDir(), path },
      supervisor: this.oneOf(m.get('supervisor'), ['auto', 'systemd', 'corral'] as const, 'auto'),
      container_runtime: this.oneOf(
        m.get('container_runtime'),
        ['containerd', 'existing'] as const,
        DEFAULTS.container_runtime,
      ),
    };
  }

  private oneOf<T extends string>(f: Field | undefined, values: readonly T[], def: T): T {
    const v = this.r.str(f, def);
    if ((values as readonly string[]).includes(v)) return v as T;
    const near = nearest(v, values);
    this.r.error(f!, `"${v}" is not one of ${values.join(', ')}${near ? ` (did you mean "${near}"?)` : ''}`);
    return def;
  }
}
