/**
 * Reading chart repositories: a Helm HTTP(S) repository's `index.yaml` and chart archives, or a git
 * repository of chart folders cloned with the real `git`. Pure reading; the sync controller turns
 * what is read into templates and template versions.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';

const execFileP = promisify(execFile);

export interface RepoCredentials {
  username?: string;
  password?: string;
}

/** One chart version as a repository lists it. */
export interface ChartEntry {
  name: string;
  version: string;
  appVersion?: string;
  description?: string;
  icon?: string;
  home?: string;
  keywords?: string[];
  /** Rancher reads categories from the `catalog.cattle.io/categories` annotation (or keywords). */
  categories?: string[];
  kubeVersion?: string;
  digest?: string;
  created?: string;
  /** Absolute archive URL (helm repositories) or folder (git). */
  location: string;
}

/** The files of a chart Rancher shows: README, app-readme and questions. */
export interface ChartFiles {
  readme?: string;
  appReadme?: string;
  questionsText?: string;
}

export class RepoError extends Error {}

function authHeader(c: RepoCredentials): Record<string, string> {
  if (!c.username && !c.password) return {};
  return { authorization: `Basic ${Buffer.from(`${c.username ?? ''}:${c.password ?? ''}`).toString('base64')}` };
}

/** What went wrong with a fetch, said so that the catalog's owner knows what to fix. */
function fetchFailure(url: string, err: unknown): RepoError {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? (err as Error).message;
  return new RepoError(`cannot reach ${redactUrl(url)}: ${why}`);
}

/** URLs may carry user:password; never show it. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/[^/@]*@/, '//***@');
}

export async function fetchBytes(url: string, creds: RepoCredentials, timeoutMs = 30_000): Promise<Buffer> {
  let res: Response;
  try {
    res = await fetch(url, { headers: authHeader(creds), signal: AbortSignal.timeout(timeoutMs), redirect: 'follow' });
  } catch (err) {
    throw fetchFailure(url, err);
  }
  if (res.status === 401 || res.status === 403) {
    throw new RepoError(
      `${redactUrl(url)} answered ${res.status}: ${creds.username ? 'the username or password is wrong' : 'it needs a username and password'}`,
    );
  }
  if (!res.ok) throw new RepoError(`${redactUrl(url)} answered ${res.status} ${res.statusText}`);
  return Buffer.from(await res.arrayBuffer());
}

interface IndexEntry {
  name?: string;
  version?: string;
  appVersion?: string;
  description?: string;
  icon?: string;
  home?: string;
  keywords?: string[];
  kubeVersion?: string;
  digest?: string;
  created?: string;
  urls?: string[];
  annotations?: Record<string, string>;
}

function categoriesOf(annotations: Record<string, string> | undefined, keywords: string[] | undefined): string[] {
  const a = annotations?.['catalog.cattle.io/categories'] ?? annotations?.['category'];
  if (a)
    return a
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  return keywords ?? [];
}

/** Reads `<url>/index.yaml` into chart entries, archive URLs made absolute. */
export async function readHelmIndex(url: string, creds: RepoCredentials): Promise<ChartEntry[]> {
  const base = url.endsWith('/') ? url : `${url}/`;
  const text = (await fetchBytes(new URL('index.yaml', base).toString(), creds)).toString('utf8');
  let doc: { entries?: Record<string, IndexEntry[]> };
  try {
    doc = parseYaml(text, { maxAliasCount: 100 }) as typeof doc;
  } catch (err) {
    throw new RepoError(`${redactUrl(base)}index.yaml is not YAML: ${(err as Error).message}`);
  }
  if (!doc || typeof doc !== 'object' || typeof doc.entries !== 'object' || doc.entries === null)
    throw new RepoError(`${redactUrl(base)}index.yaml has no entries: is this a Helm chart repository?`);
  const out: ChartEntry[] = [];
  for (const [name, versions] of Object.entries(doc.entries)) {
    for (const v of versions ?? []) {
      if (!v?.version || !v.urls?.[0]) continue;
      out.push({
        name: v.name ?? name,
        version: String(v.version),
        appVersion: v.appVersion === undefined ? undefined : String(v.appVersion),
        description: v.description,
        icon: v.icon,
        home: v.home,
        keywords: v.keywords,
        categories: categoriesOf(v.annotations, v.keywords),
        kubeVersion: v.kubeVersion,
        digest: v.digest,
        created: v.created === undefined ? undefined : String(v.created),
        location: new URL(v.urls[0], base).toString(),
      });
    }
  }
  return out;
}

const WANTED: Record<string, keyof ChartFiles> = {
  'readme.md': 'readme',
  'app-readme.md': 'appReadme',
  'questions.yml': 'questionsText',
  'questions.yaml': 'questionsText',
};

/** Reads README, app-readme and questions from a chart folder. */
export async function readChartFolder(dir: string): Promise<ChartFiles> {
  const out: ChartFiles = {};
  for (const name of await readdir(dir)) {
    const key = WANTED[name.toLowerCase()];
    if (key && !out[key]) out[key] = await readFile(join(dir, name), 'utf8');
  }
  return out;
}

const TAR_PATTERNS = ['*/README.md', '*/app-readme.md', '*/questions.yml', '*/questions.yaml'];

/**
 * Reads the files Rancher shows from chart archives with GNU tar (Debian's): only each chart's
 * top-level README, app-readme and questions are extracted, never the templates. One shell runs
 * tar for every archive of the batch: starting a process from Node costs more than reading a chart.
 */
export async function readChartArchives(archives: Buffer[]): Promise<(ChartFiles | RepoError)[]> {
  if (archives.length === 0) return [];
  const dir = await mkdtemp(join(tmpdir(), 'corral-charts-'));
  try {
    await Promise.all(
      archives.map(async (a, i) => {
        await mkdir(join(dir, String(i)));
        await writeFile(join(dir, `${i}.tgz`), a);
      }),
    );
    const patterns = TAR_PATTERNS.map((p) => `'${p}'`).join(' ');
    // tar exits 2 when a pattern matched nothing: that is only a chart without that file.
    const script =
      `i=0; while [ "$i" -lt ${archives.length} ]; do ` +
      `tar -xzf "$i.tgz" -C "$i" --no-same-owner --no-same-permissions --wildcards --no-wildcards-match-slash ` +
      `--ignore-case ${patterns} 2>"$i.err"; i=$((i+1)); done; exit 0`;
    await execFileP('sh', ['-c', script], { cwd: dir, maxBuffer: 1 << 20 });
    return await Promise.all(
      archives.map(async (_a, i) => {
        const err = await readFile(join(dir, `${i}.err`), 'utf8').catch(() => '');
        const real = err
          .split('\n')
          .filter((l) => l.trim() && !/not found in archive|Exiting with failure status/i.test(l));
        if (real.length) return new RepoError(`not a chart archive: ${real.join(' ').slice(0, 200)}`);
        const [top] = await readdir(join(dir, String(i)));
        return top ? await readChartFolder(join(dir, String(i), top)) : {};
      }),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** git with credentials in the environment (never on the command line, where `ps` shows them). */
function gitEnv(creds: RepoCredentials): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'true' };
  const header = authHeader(creds).authorization;
  if (header) {
    env.GIT_CONFIG_COUNT = '1';
    env.GIT_CONFIG_KEY_0 = 'http.extraHeader';
    env.GIT_CONFIG_VALUE_0 = `Authorization: ${header}`;
  }
  return env;
}

async function git(args: string[], creds: RepoCredentials, cwd?: string): Promise<string> {
  try {
    return (await execFileP('git', args, { env: gitEnv(creds), cwd, timeout: 120_000, maxBuffer: 8 << 20 })).stdout;
  } catch (err) {
    const e = err as { code?: string; stderr?: string };
    if (e.code === 'ENOENT') throw new RepoError('git is not installed on the server');
    const msg = (e.stderr ?? String(err)).trim().split('\n').slice(-2).join(' ');
    throw new RepoError(`git ${args[0]} failed: ${redactUrl(msg)}`);
  }
}

/**
 * Brings `dir` to the tip of `branch` of `url` (a shallow clone the first time, a shallow fetch
 * after) and returns the commit. Idempotent: safe to run at any time.
 */
export async function syncGitRepo(url: string, branch: string, dir: string, creds: RepoCredentials): Promise<string> {
  if (!existsSync(join(dir, '.git'))) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    await git(['init', '-q'], creds, dir);
  }
  await git(['fetch', '-q', '--depth', '1', url, `refs/heads/${branch}`], creds, dir).catch((err: RepoError) => {
    if (/couldn't find remote ref|not our ref/i.test(err.message))
      throw new RepoError(`branch ${branch} does not exist in ${redactUrl(url)}`);
    throw err;
  });
  await git(['checkout', '-q', '--force', '--detach', 'FETCH_HEAD'], creds, dir);
  await git(['clean', '-q', '-fdx'], creds, dir);
  return (await git(['rev-parse', 'HEAD'], creds, dir)).trim();
}

/** Every chart folder (one holding Chart.yaml) of a checked-out repository, up to four levels deep. */
export async function readGitCharts(dir: string): Promise<ChartEntry[]> {
  const out: ChartEntry[] = [];
  const walk = async (d: string, depth: number) => {
    const names = await readdir(d, { withFileTypes: true });
    if (names.some((n) => n.isFile() && n.name === 'Chart.yaml')) {
      const meta = parseYaml(await readFile(join(d, 'Chart.yaml'), 'utf8')) as IndexEntry & {
        annotations?: Record<string, string>;
      };
      if (meta?.name && meta.version) {
        out.push({
          name: meta.name,
          version: String(meta.version),
          appVersion: meta.appVersion === undefined ? undefined : String(meta.appVersion),
          description: meta.description,
          icon: meta.icon,
          home: meta.home,
          keywords: meta.keywords,
          categories: categoriesOf(meta.annotations, meta.keywords),
          kubeVersion: meta.kubeVersion,
          location: relative(dir, d),
        });
      }
      return;
    }
    if (depth >= 4) return;
    for (const n of names) if (n.isDirectory() && !n.name.startsWith('.')) await walk(join(d, n.name), depth + 1);
  };
  await walk(dir, 0);
  return out;
}

/** Rancher's question types. */
const QUESTION_TYPES = new Set([
  'string',
  'multiline',
  'boolean',
  'int',
  'float',
  'enum',
  'password',
  'storageclass',
  'hostname',
  'pvc',
  'secret',
  'base64',
  'dnsRecord',
  'certificate',
  'reference',
  'cloudcredential',
]);

/**
 * Parses Rancher's questions.yml (`questions: [{variable, label, type, default, required, group,
 * options, show_if, show_subquestion_if, subquestions}]`), saying what is wrong and where.
 */
export function parseQuestions(text: string): Record<string, unknown>[] {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch (err) {
    throw new Error(`not YAML: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  if (doc === null || doc === undefined) return [];
  const list = (doc as { questions?: unknown }).questions;
  if (typeof doc !== 'object' || !Array.isArray(list)) throw new Error('must hold a list under `questions:`');
  const check = (qs: unknown[], where: string) => {
    qs.forEach((q, i) => {
      const at = `${where}[${i}]`;
      if (!q || typeof q !== 'object') throw new Error(`${at} must be a mapping`);
      const o = q as Record<string, unknown>;
      if (typeof o.variable !== 'string' || !o.variable) throw new Error(`${at} needs a variable`);
      const type = o.type ?? 'string';
      if (typeof type !== 'string' || !QUESTION_TYPES.has(type))
        throw new Error(`${at} (${o.variable}): unknown type ${JSON.stringify(type)}`);
      if (type === 'enum' && !Array.isArray(o.options)) throw new Error(`${at} (${o.variable}): an enum needs options`);
      if (o.subquestions !== undefined) {
        if (!Array.isArray(o.subquestions)) throw new Error(`${at} (${o.variable}): subquestions must be a list`);
        check(o.subquestions, `${at}.subquestions`);
      }
    });
  };
  check(list, 'questions');
  return list as Record<string, unknown>[];
}

/** Orders versions as SemVer does (numeric parts, a pre-release before its release). */
export function compareVersions(a: string, b: string): number {
  const parse = (v: string) => {
    const [core = '', pre] = v.replace(/^v/, '').split('+')[0]!.split(/-(.*)/s);
    return { nums: core.split('.').map((n) => Number.parseInt(n, 10) || 0), pre };
  };
  const x = parse(a);
  const y = parse(b);
  for (let i = 0; i < Math.max(x.nums.length, y.nums.length); i++) {
    const d = (x.nums[i] ?? 0) - (y.nums[i] ?? 0);
    if (d) return d;
  }
  if (x.pre === y.pre) return 0;
  if (x.pre === undefined) return 1;
  if (y.pre === undefined) return -1;
  return x.pre.localeCompare(y.pre, 'en', { numeric: true });
}
