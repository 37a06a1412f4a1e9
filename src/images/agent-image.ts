/**
 * Corral's agent image, the equivalent of the project's Dockerfile built without Docker: this
 * machine's Node.js with the C libraries it links (read from the dynamic loader, as `ldd` does),
 * the built `dist/`, and the production dependencies in `node_modules/`, running
 * `node dist/src/cli/main.js agent` as user 1000. Clusters made by `corral up` get it loaded with
 * the system images, so an import manifest runs there without any registry.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { packageRoot } from '../util/package-root.js';
import { specDigest, writeImageArchive, type ImageFile, type ImageSpec } from './oci.js';

const execFileP = promisify(execFile);

export const agentImageRef = (version: string): string => `corral.local/agent:${version}`;

export interface AgentImage {
  ref: string;
  archive: string;
}

/** Builds (or reuses, when nothing it is made of changed) the agent image archive in `cacheDir`. */
export async function agentImage(cacheDir: string): Promise<AgentImage> {
  const root = packageRoot();
  const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
  const ref = agentImageRef(pkg.version);
  const spec = await agentImageSpec(root, ref);
  const archive = join(cacheDir, `agent-${(await specDigest([spec])).slice(0, 16)}.tar`);
  if (!(await stat(archive).catch(() => null))) await writeImageArchive([spec], archive);
  return { ref, archive };
}

async function agentImageSpec(root: string, ref: string): Promise<ImageSpec> {
  if (!existsSync(join(root, 'dist', 'src', 'cli', 'main.js')))
    throw new Error(`no built Corral in ${root}/dist: run \`npm run build\` first`);
  const node = realpathSync(process.execPath);
  const trees: Record<string, string> = { '/corral/dist/src': join(root, 'dist', 'src') };
  for (const dir of productionPackages(root)) trees[`/corral/${dir.slice(root.length + 1)}`] = realpathSync(dir);
  const files: ImageFile[] = [
    { path: '/usr/local/bin/node', from: node },
    { path: '/corral/package.json', from: join(root, 'package.json'), mode: 0o644 },
    {
      path: '/etc/passwd',
      content: 'root:x:0:0:root:/root:/bin/false\ncorral:x:1000:1000:corral:/corral:/bin/false\n',
    },
    { path: '/etc/group', content: 'root:x:0:\ncorral:x:1000:\n' },
    ...(await sharedLibraries(node)).map((lib) => ({ path: lib.path, from: lib.from })),
  ];
  return {
    ref,
    files,
    trees,
    dirs: { '/tmp': 0o1777 },
    config: {
      Entrypoint: ['/usr/local/bin/node', '/corral/dist/src/cli/main.js'],
      Cmd: ['agent'],
      User: '1000:1000',
      WorkingDir: '/corral',
      Env: ['PATH=/usr/local/bin:/usr/bin:/bin', 'NODE_ENV=production'],
    },
  };
}

/** The shared libraries `binary` loads, at the paths the loader finds them, from their real files. */
async function sharedLibraries(binary: string): Promise<{ path: string; from: string }[]> {
  const { stdout } = await execFileP('ldd', [binary]);
  const libs: { path: string; from: string }[] = [];
  for (const line of stdout.split('\n')) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)"
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (m) libs.push({ path: m[1]!, from: realpathSync(m[1]!) });
  }
  if (!libs.length) throw new Error(`cannot tell which libraries ${binary} needs (ldd printed nothing usable)`);
  return libs;
}

/**
 * The folders (under `root`) of the package's production dependencies, found as Node resolves
 * them: each dependency (and optional dependency, when installed) from the nearest node_modules
 * upwards.
 */
export function productionPackages(root: string): string[] {
  const seen = new Set<string>();
  const visit = (from: string) => {
    const manifest = readJson(join(from, 'package.json'));
    const deps = { ...manifest.dependencies, ...manifest.optionalDependencies };
    for (const name of Object.keys(deps)) {
      const dir = resolvePackage(from, name, root);
      if (!dir) {
        if (manifest.optionalDependencies?.[name]) continue;
        throw new Error(`the dependency ${name} of ${from} is not installed: run \`npm ci\``);
      }
      if (seen.has(dir)) continue;
      seen.add(dir);
      visit(dir);
    }
  };
  visit(root);
  return [...seen].sort();
}

function resolvePackage(from: string, name: string, root: string): string | null {
  for (let dir = from; dir.startsWith(root); dir = join(dir, '..')) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === root) break;
  }
  return null;
}

interface Manifest {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

// Synchronous on purpose: a few hundred small files, read once per build.
const readJson = (path: string): Manifest => JSON.parse(readFileSync(path, 'utf8')) as Manifest;
