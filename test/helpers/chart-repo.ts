/**
 * Real chart repositories for tests: charts made by the real `helm create`, packaged with `helm
 * package`, indexed with `helm repo index`, served over HTTPS by a real Node https server (with
 * basic auth when asked), or committed to a real git repository.
 */
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join, normalize } from 'node:path';
import { promisify } from 'node:util';
import { onTestFinished } from 'vitest';
import { binaryPath } from '../../src/kube/binaries.js';
import { createCA, issueCertificate, writePem } from '../../src/pki/index.js';
import { testDir } from './control-plane.js';

const execFileP = promisify(execFile);

export async function helm(...args: string[]): Promise<string> {
  const bin = await binaryPath('helm');
  const home = await testDir('helm-home');
  return (
    await execFileP(bin, args, {
      env: {
        PATH: process.env.PATH,
        HOME: home,
        HELM_CACHE_HOME: join(home, 'c'),
        HELM_CONFIG_HOME: join(home, 'g'),
        HELM_DATA_HOME: join(home, 'd'),
      },
      maxBuffer: 16 << 20,
    })
  ).stdout;
}

export interface ChartSpec {
  name: string;
  version: string;
  appReadme?: string;
  questions?: string;
  /** Extra template files (name → YAML). */
  templates?: Record<string, string>;
  /** Keep only these of helm create's templates (default: all). */
  keepTemplates?: string[];
  description?: string;
}

/** `helm create` a chart folder under `parent`, then shape it as `spec` says. */
export async function makeChart(parent: string, spec: ChartSpec): Promise<string> {
  await mkdir(parent, { recursive: true });
  const dir = join(parent, spec.name);
  await rm(dir, { recursive: true, force: true });
  await helm('create', dir);
  const chartYaml = (await readFile(join(dir, 'Chart.yaml'), 'utf8'))
    .replace(/^version: .*$/m, `version: ${spec.version}`)
    .replace(/^description: .*$/m, `description: ${spec.description ?? `The ${spec.name} chart`}`);
  await writeFile(join(dir, 'Chart.yaml'), chartYaml);
  await writeFile(join(dir, 'README.md'), `# ${spec.name}\n\nThe README of ${spec.name} ${spec.version}.\n`);
  if (spec.appReadme) await writeFile(join(dir, 'app-readme.md'), spec.appReadme);
  if (spec.questions) await writeFile(join(dir, 'questions.yml'), spec.questions);
  if (spec.keepTemplates) {
    for (const f of [
      'deployment.yaml',
      'service.yaml',
      'serviceaccount.yaml',
      'ingress.yaml',
      'hpa.yaml',
      'httproute.yaml',
      'tests',
    ]) {
      if (!spec.keepTemplates.includes(f)) await rm(join(dir, 'templates', f), { recursive: true, force: true });
    }
  }
  for (const [name, text] of Object.entries(spec.templates ?? {})) await writeFile(join(dir, 'templates', name), text);
  return dir;
}

/** Packages charts into `repoDir` and (re)writes its index.yaml with `helm repo index`. */
export async function packageInto(repoDir: string, chartDirs: string[]): Promise<void> {
  await mkdir(repoDir, { recursive: true });
  for (const d of chartDirs) await helm('package', d, '-d', repoDir);
  await helm('repo', 'index', repoDir);
}

export interface HttpsRepo {
  url: string;
  caPem: string;
  caFile: string;
  /** Requests seen (path and whether credentials were right), to prove what was fetched. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * Serves `root` over HTTPS with a test CA. Paths under `/private/` need basic auth with
 * `auth` (when given).
 */
export async function serveHttps(root: string, auth?: { username: string; password: string }): Promise<HttpsRepo> {
  const dir = await testDir('repo-tls');
  const ca = await createCA({ commonName: 'test-chart-repo-ca' });
  const leaf = await issueCertificate(ca, {
    commonName: 'charts',
    usages: ['server'],
    altNames: ['127.0.0.1', 'localhost'],
  });
  const caFile = join(dir, 'ca.crt');
  await writePem(caFile, ca.certPem);
  const requests: string[] = [];
  const expected = auth ? `Basic ${Buffer.from(`${auth.username}:${auth.password}`).toString('base64')}` : '';
  const server: Server = createServer({ cert: leaf.certPem + ca.certPem, key: leaf.keyPem }, (req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'https://x').pathname);
    requests.push(path);
    if (path.startsWith('/private/') && req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="charts"' }).end('unauthorized');
      return;
    }
    const file = normalize(join(root, path));
    if (!file.startsWith(root)) return void res.writeHead(403).end();
    readFile(file).then(
      (body) => res.writeHead(200, { 'content-length': body.length }).end(body),
      () => res.writeHead(404).end('not found'),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const close = () => new Promise<void>((r) => server.close(() => r()));
  onTestFinished(close);
  return {
    url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`,
    caPem: ca.certPem,
    caFile,
    requests,
    close,
  };
}

/** A real git repository on disk with `files` copied in and committed on `branch`. */
export async function gitRepo(dir: string, branch: string, chartDirs: Record<string, string>): Promise<void> {
  const g = (...args: string[]) =>
    execFileP('git', args, {
      cwd: dir,
      env: {
        ...process.env,
        GIT_AUTHOR_NAME: 't',
        GIT_AUTHOR_EMAIL: 't@x',
        GIT_COMMITTER_NAME: 't',
        GIT_COMMITTER_EMAIL: 't@x',
      },
    });
  await mkdir(dir, { recursive: true });
  await g('init', '-q', '-b', branch);
  for (const [to, from] of Object.entries(chartDirs)) await cp(from, join(dir, to), { recursive: true });
  await g('add', '-A');
  await g('commit', '-q', '-m', 'charts');
}

/** A questions.yml in Rancher's format: a group, a required int, a boolean with a subquestion, a show_if. */
export const QUESTIONS = `questions:
- variable: replicaCount
  label: Replicas
  type: int
  default: "1"
  required: true
  group: General
- variable: service.enabled
  label: Expose a service
  type: boolean
  default: "false"
  show_subquestion_if: true
  subquestions:
  - variable: service.port
    label: Service port
    type: int
    default: "80"
- variable: image.tag
  label: Image tag
  type: string
  show_if: "service.enabled=true"
`;
