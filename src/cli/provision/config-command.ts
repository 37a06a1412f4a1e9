import { Command, Option } from 'commander';
import { existsSync } from 'node:fs';
import { chmod, rename, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { UsageError } from '../usage-error.js';

interface ConfigOpts {
  name: string;
  empty?: boolean;
  print?: boolean;
  force?: boolean;
  listVersion?: boolean;
  all?: boolean;
  output?: 'json' | 'yaml';
}

/** `corral config`: writes cluster.yml (RKE's `rke config`). */
export function configCommand(): Command {
  return new Command('config')
    .description("write cluster.yml by answering RKE's questions, or print a template or the supported versions")
    .option('-n, --name <file>', 'the file to write', 'cluster.yml')
    .option('-e, --empty', 'write a template with every key and its default, without asking anything')
    .option('-p, --print', 'print the configuration on stdout instead of writing the file')
    .option('-f, --force', 'overwrite the file if it exists, without asking')
    .option('--list-version', 'print the default Kubernetes version (the newest whose binaries are built)')
    .option('-a, --all', 'with --list-version: print every supported version, newest first')
    .addOption(
      new Option('-o, --output <format>', 'with --list-version: print as json or yaml').choices(['json', 'yaml']),
    )
    .addHelpText(
      'after',
      `
Asks RKE's questions in RKE's order; Enter takes the default in brackets ("none": no value):
  the cluster-level SSH private key path, the number of hosts, then for each host its SSH address,
  SSH port, SSH private key path (none: the cluster-level key), SSH user, whether it is a control
  plane, worker and etcd host, a hostname override and an internal IP; then the network plugin
  (none: install a CNI through addon manifests), authentication strategy (x509), authorization
  mode (rbac or none), Kubernetes version, cluster domain, service cluster IP range, cluster
  network CIDR, cluster DNS service IP, and addon manifest files or https URLs.
A wrong answer is refused with the reason and asked again, so the file written always loads.
Answers can also be piped in, one per line; when they run out, the remaining questions take
their defaults. An existing file is only replaced after a yes (or with --force). The file
explains its keys in comments; RKE keys that only matter with Docker load with a warning.

Examples:
  corral config                                   # answer the questions, write ./cluster.yml
  corral config --name prod.yml --print           # show the result instead of writing it
  corral config --empty --name template.yml       # every key with its default, to edit by hand
  corral config --list-version --all -o json
  printf '%s\\n' ~/.ssh/id_ed25519 1 10.0.0.5 22 '' root y y y | corral config   # the rest: defaults`,
    )
    .action(async (o: ConfigOpts) => {
      if ((o.all || o.output) && !o.listVersion) throw new UsageError('--all and --output go with --list-version');
      if (o.listVersion) return listVersions(o);
      await writeClusterFile(o);
    });
}

async function listVersions(o: ConfigOpts): Promise<void> {
  const { supportedVersions } = await import('../../provision/config/versions.js');
  const { binDir } = await import('../../kube/binaries.js');
  const versions = supportedVersions();
  if (!versions.length) {
    throw new Error(
      `no Kubernetes binaries in ${binDir()}: build them with \`npm run k8s:build\` in the Corral source folder`,
    );
  }
  const value = o.all ? versions : versions[0]!;
  if (o.output === 'json') process.stdout.write(JSON.stringify(value) + '\n');
  else if (o.output === 'yaml') {
    const { yaml } = await import('../output.js');
    process.stdout.write(yaml().stringify(value));
  } else process.stdout.write([value].flat().join('\n') + '\n');
}

async function writeClusterFile(o: ConfigOpts): Promise<void> {
  const { createPrompter } = await import('../prompt.js');
  const { renderClusterConfig } = await import('../../provision/config/render.js');
  const { supportedVersions } = await import('../../provision/config/versions.js');
  const path = resolve(o.name);
  const versions = supportedVersions();
  const prompter = createPrompter();
  try {
    if (!o.print && !o.force && existsSync(path)) {
      const answer = await prompter.ask(`[?] ${o.name} exists: overwrite it (y/n)? [n]: `);
      if (answer === null) {
        throw new UsageError(`${o.name} exists: pass --force to overwrite it, or --name to write another file`);
      }
      if (!/^y(es)?$/i.test(answer)) throw new Error(`cancelled: ${o.name} was not changed`);
    }
    let text: string;
    if (o.empty) {
      text = renderClusterConfig(
        {
          nodes: [{ address: '10.0.0.1', user: 'ubuntu', role: ['controlplane', 'etcd', 'worker'] }],
          kubernetes_version: versions[0] ?? '',
        },
        "Template from `corral config --empty`: every key with its default (RKE's format, without Docker).\n" +
          'Replace the example node with yours, then run `corral up`.',
      );
    } else {
      const { runWizard } = await import('../../provision/config/wizard.js');
      const { loadClusterConfig } = await import('../../provision/config/load.js');
      const answers = await runWizard(
        { ask: (q) => prompter.ask(q), say: (m) => process.stderr.write(`${m}\n`) },
        { versions, baseDir: dirname(path) },
      );
      text = renderClusterConfig(answers);
      // The wizard refuses wrong answers, so this only fails on a bug; better said now than at `up`.
      loadClusterConfig(text, { fileName: o.name, baseDir: dirname(path) });
    }
    if (o.print) {
      process.stdout.write(text);
      return;
    }
    const tmp = `${path}.${process.pid}.tmp`;
    // 0640 as RKE: the file names key files and may hold an inline key.
    await writeFile(tmp, text, { mode: 0o640 });
    await chmod(tmp, 0o640);
    await rename(tmp, path);
    const flag = o.name === 'cluster.yml' ? '' : ` --config ${o.name}`;
    process.stderr.write(`Wrote ${o.name}. Check it, then run \`corral up${flag}\`.\n`);
  } finally {
    prompter.close();
  }
}
