import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, resolve } from 'node:path';
import { isIP } from 'node:net';
import { DEFAULTS, defaultDnsServer, RKE_NETWORK_PLUGINS } from './defaults.js';
import { cidrContains, cidrsOverlap, isDnsName, parseCidr } from './net.js';
import type { ClusterAnswers, NodeAnswers } from './render.js';
import type { NodeRole } from './types.js';
import { normalizeVersion } from './versions.js';

/**
 * `corral config`: RKE's questions, in RKE's order, with RKE's defaults in brackets. An answer
 * that would make cluster.yml invalid is refused on the spot with the reason and asked again, so
 * the file written at the end always loads.
 */

export interface WizardIo {
  /** The answer; null when input has ended (then each remaining question takes its default). */
  ask(question: string): Promise<string | null>;
  /** A note or the reason an answer was refused. */
  say(message: string): void;
}

export interface WizardOptions {
  /** Supported Kubernetes versions, newest (the default) first. */
  versions: string[];
  /** Folder the file is written to: relative addon paths are checked from there. */
  baseDir: string;
  home?: string;
}

/** Checks an answer: returns the value to keep, or throws an Error whose message is the reason. */
type Check<T> = (answer: string) => T;

class Refused extends Error {}
const refuse = (reason: string): never => {
  throw new Refused(reason);
};

const yesNo: Check<boolean> = (a) => {
  if (/^(y|yes)$/i.test(a)) return true;
  if (/^(n|no)$/i.test(a)) return false;
  return refuse(`answer y or n, not "${a}"`);
};

export async function runWizard(io: WizardIo, opts: WizardOptions): Promise<ClusterAnswers> {
  /** RKE's prompt: "[+] Question [default]: ", "none" standing for no default. */
  const question = async <T>(text: string, def: string, check: Check<T>): Promise<T> => {
    for (;;) {
      const line = await io.ask(`[+] ${text} [${def || 'none'}]: `);
      try {
        return check(line || def);
      } catch (err) {
        if (!(err instanceof Refused)) throw err;
        if (line === null)
          throw new Error(`input ended before "${text}" was answered (${err.message})`, { cause: err });
        io.say(`[-] ${err.message}`);
      }
    }
  };
  const home = opts.home ?? homedir();
  const expand = (p: string) => (p === '~' ? home : p.startsWith('~/') ? `${home}/${p.slice(2)}` : p);

  const sshKeyPath = await question('Cluster Level SSH Private Key Path', DEFAULTS.ssh_key_path, (a) => a);
  if (!existsSync(resolve(opts.baseDir, expand(sshKeyPath)))) {
    io.say(`[!] ${sshKeyPath} does not exist yet: create it (ssh-keygen) before \`corral up\``);
  }
  const count = await question('Number of Hosts', '1', (a) =>
    /^\d+$/.test(a) && Number(a) >= 1 ? Number(a) : refuse(`give a whole number of at least 1, not "${a}"`),
  );

  const nodes: NodeAnswers[] = [];
  for (let i = 1; i <= count; i++) {
    const address = await question(`SSH Address of host (${i})`, '', (a) =>
      !a
        ? refuse('the address is required: an IP address or DNS name')
        : /\s/.test(a)
          ? refuse('one address, without spaces')
          : a,
    );
    const port = await question(`SSH Port of host (${i})`, String(DEFAULTS.ssh_port), (a) => {
      const p = /^\d+$/.test(a) ? Number(a) : NaN;
      if (!(p >= 1 && p <= 65535)) refuse(`give a port from 1 to 65535, not "${a}"`);
      const twin = nodes.findIndex((n) => n.address === address && n.port === p);
      return twin >= 0 ? refuse(`host (${twin + 1}) is already ${address} port ${p}`) : p;
    });
    const keyPath = await question(`SSH Private Key Path of host (${address})`, '', (a) => a);
    if (!keyPath) io.say(`[-] You have entered empty SSH key path, defaulting to cluster level SSH key: ${sshKeyPath}`);
    const user = await question(`SSH User of host (${address})`, DEFAULTS.wizard_user, (a) => a);

    let role: NodeRole[] = [];
    for (;;) {
      role = [];
      if (await question(`Is host (${address}) a Control Plane host (y/n)?`, 'y', yesNo)) role.push('controlplane');
      if (await question(`Is host (${address}) a Worker host (y/n)?`, 'n', yesNo)) role.push('worker');
      if (await question(`Is host (${address}) an etcd host (y/n)?`, 'n', yesNo)) role.push('etcd');
      if (role.length === 0) {
        io.say('[-] a host needs at least one role: answer y to one of the three');
        continue;
      }
      // The last host is the last chance to give the cluster each role it needs.
      const missing = (['etcd', 'controlplane', 'worker'] as NodeRole[]).filter(
        (r) => !role.includes(r) && !nodes.some((n) => n.role?.includes(r)),
      );
      if (i === count && missing.length) {
        io.say(
          `[-] no host has the ${missing.join(' and ')} role yet, and this is the last host: a cluster needs each role`,
        );
        continue;
      }
      break;
    }

    const hostname = await question(`Override Hostname of host (${address})`, '', (a) => {
      // The node name defaults to the address; two hosts at one address need distinct names.
      const name = (a || address).toLowerCase();
      if (a && !isDnsName(name)) refuse(`"${a}" is not a DNS name: use letters, digits, "-" and "."`);
      const taken = nodes.findIndex((n) => (n.hostname_override || n.address.toLowerCase()) === name);
      if (taken >= 0) refuse(`host (${taken + 1}) already has the node name ${name}: give this host another one`);
      return a ? name : '';
    });
    const internal = await question(`Internal IP of host (${address})`, '', (a) =>
      !a || isIP(a) ? a : refuse(`"${a}" is not an IP address`),
    );
    nodes.push({
      address,
      port,
      user,
      role,
      ...(keyPath ? { ssh_key_path: keyPath } : {}),
      ...(hostname ? { hostname_override: hostname } : {}),
      ...(internal ? { internal_address: internal } : {}),
    });
  }

  const plugin = await question('Network Plugin Type (flannel, none)', DEFAULTS.network_plugin, (a) =>
    a === 'none' || a === 'flannel'
      ? a
      : refuse(
          RKE_NETWORK_PLUGINS.includes(a)
            ? `Corral deploys flannel: answer flannel, or none and install ${a} through addons_include (next questions)`
            : `"${a}" is not available: answer flannel, or none and install a network plugin through addons_include`,
        ),
  );
  await question('Authentication Strategy', DEFAULTS.authentication_strategy, (a) =>
    a === 'x509' ? a : refuse('x509 is the only authentication strategy'),
  );
  const mode = await question('Authorization Mode (rbac, none)', DEFAULTS.authorization_mode, (a) =>
    a === 'rbac' || a === 'none' ? a : refuse(`answer rbac or none, not "${a}"`),
  );
  const version = await question('Kubernetes version', opts.versions[0] ?? '', (a) => {
    const v = normalizeVersion(a);
    if (v && opts.versions.includes(v)) return v;
    return refuse(
      opts.versions.length
        ? `"${a}" is not supported; supported: ${opts.versions.join(', ')}`
        : 'no Kubernetes binaries are built: run `npm run k8s:build` in the Corral source folder first',
    );
  });
  const domain = await question('Cluster domain', DEFAULTS.cluster_domain, (a) =>
    isDnsName(a) ? a : refuse(`"${a}" is not a DNS domain`),
  );
  const serviceRange = await question('Service Cluster IP Range', DEFAULTS.service_cluster_ip_range, (a) =>
    parseCidr(a) ? a : refuse(`"${a}" is not a CIDR (address/prefix, like ${DEFAULTS.service_cluster_ip_range})`),
  );
  const services = parseCidr(serviceRange)!;
  const clusterCidr = await question('Cluster Network CIDR', DEFAULTS.cluster_cidr, (a) => {
    const c = parseCidr(a) ?? refuse(`"${a}" is not a CIDR (address/prefix, like ${DEFAULTS.cluster_cidr})`);
    return cidrsOverlap(c, services) ? refuse(`${a} overlaps the service range ${serviceRange}`) : a;
  });
  const dns = await question('Cluster DNS Service IP', defaultDnsServer(serviceRange), (a) => {
    if (!isIP(a)) refuse(`"${a}" is not an IP address`);
    if (!cidrContains(services, a)) refuse(`${a} is outside the service range ${serviceRange}`);
    const offset = parseCidr(`${a}/${services.bits}`)!.base - services.base;
    return offset <= 1n ? refuse(`${a} is reserved (network address or the kubernetes service)`) : a;
  });

  const addons: string[] = [];
  if (await question('Add addon manifest URLs or YAML files', 'no', yesNo)) {
    do {
      addons.push(
        await question('Enter the Path or URL for the manifest', '', (a) => {
          if (/^https:\/\//.test(a)) return a;
          if (/^[a-z]+:\/\//i.test(a)) refuse('only https URLs are allowed');
          if (!a) refuse('give a file path or an https URL');
          const p = expand(a);
          return existsSync(isAbsolute(p) ? p : resolve(opts.baseDir, p)) ? a : refuse(`${a}: file not found`);
        }),
      );
    } while (await question('Add another addon', 'no', yesNo));
  }

  return {
    nodes,
    ssh_key_path: sshKeyPath,
    kubernetes_version: version,
    network: { plugin },
    authorization: { mode },
    services: {
      'kube-api': { service_cluster_ip_range: serviceRange },
      'kube-controller': { cluster_cidr: clusterCidr, service_cluster_ip_range: serviceRange },
      kubelet: { cluster_domain: domain, cluster_dns_server: dns },
    },
    addons_include: addons,
  };
}
