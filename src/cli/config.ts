import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { yaml } from './output.js';

/** One server the CLI is logged in to. */
export interface ServerEntry {
  name: string;
  url: string;
  /** The CA PEM to trust; absent means the system's CAs. */
  cacert?: string;
  /** Set only when asked for with --skip-verify. */
  skipVerify?: boolean;
  token: string;
  /** `session` tokens come from a username login and are ended on logout; `apikey` ones stay. */
  tokenKind: 'session' | 'apikey';
  userId?: string;
  username?: string;
  /** Current cluster id and project id (`c-xxxxx:p-yyyyy`). */
  cluster?: string;
  project?: string;
}

export interface CliConfig {
  current?: string;
  servers: ServerEntry[];
}

/** `$CORRAL_CONFIG`, else `~/.corral/config`. */
export function configPath(): string {
  return process.env.CORRAL_CONFIG || join(homedir(), '.corral', 'config');
}

export async function loadConfig(path = configPath()): Promise<CliConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { servers: [] };
    throw err;
  }
  let data: unknown;
  try {
    const t = text.trim();
    data = !t ? {} : t.startsWith('{') ? JSON.parse(t) : yaml().parse(t);
  } catch (err) {
    throw new Error(`the config file ${path} is not valid YAML or JSON (${(err as Error).message}): fix or remove it`, {
      cause: err,
    });
  }
  const obj = (data ?? {}) as Partial<CliConfig>;
  return { current: obj.current, servers: Array.isArray(obj.servers) ? obj.servers : [] };
}

/**
 * Writes the config with mode 0600 (atomically). A file someone wrote as YAML stays YAML; new files
 * are JSON (which is YAML too), because reading JSON needs no YAML parser and keeps every run fast.
 */
export async function saveConfig(config: CliConfig, path = configPath()): Promise<void> {
  let json = true;
  try {
    const old = (await readFile(path, 'utf8')).trim();
    json = !old || old.startsWith('{');
  } catch {
    // new file
  }
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const text = json ? JSON.stringify(config, null, 2) + '\n' : yaml().stringify(config);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, text, { mode: 0o600 });
  await chmod(tmp, 0o600);
  await rename(tmp, path);
}

export function currentServer(config: CliConfig, name?: string): ServerEntry {
  const wanted = name ?? process.env.CORRAL_SERVER ?? config.current;
  if (!config.servers.length) throw new Error('not logged in: run corral login <server-url> first');
  const entry = config.servers.find((s) => s.name === wanted || s.url === wanted);
  if (!entry) {
    throw new Error(
      `no server "${wanted}" in ${configPath()} (known: ${config.servers.map((s) => s.name).join(', ')}): ` +
        'run corral login <server-url>',
    );
  }
  return entry;
}
