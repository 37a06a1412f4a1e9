/**
 * The catalog sync controller: each catalog (global, cluster, project) becomes templates and
 * template versions in the store, on create, on change, on `?action=refresh` and every
 * `refreshInterval`. Level-triggered: a reconcile compares what the repository holds now with
 * what the store holds and writes only the difference, so it is safe to run at any time.
 */
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { listAll } from '../../store/list-all.js';
import type { Store, StoredObject } from '../../store/types.js';
import type { Logger } from '../log.js';
import type { SecretBox } from '../secrets/encryption.js';
import type { StoreFollower } from '../store-follower.js';
import { defineController, type Controller } from '../controllers/kit/controller.js';
import type { Registry } from '../controllers/kit/metrics.js';
import { StoreInformer } from '../controllers/kit/store-informer.js';
import { failInterruptedApps } from './apps.js';
import {
  compareVersions,
  fetchBytes,
  parseQuestions,
  readChartArchives,
  readChartFolder,
  readGitCharts,
  readHelmIndex,
  RepoError,
  syncGitRepo,
  type ChartEntry,
  type ChartFiles,
  type RepoCredentials,
} from './charts.js';

export const CATALOG_TYPES = ['catalog', 'clusterCatalog', 'projectCatalog'] as const;
export type CatalogType = (typeof CATALOG_TYPES)[number];
/** Label on templates and template versions naming their catalog (its template id prefix). */
export const CATALOG_LABEL = 'corral.io/catalog';
export const REFRESH_ANNOTATION = 'catalog.cattle.io/refresh-requested';

/** Template ids start with this: `library`, `c-xxxxx-mycat`, `p-xxxxx-mycat` (Rancher's). */
export const templatePrefix = (catalogId: string) => catalogId.replace(':', '-');

/** The `catalog=` part of an externalId: `library`, `c-xxxxx/mycat` with `type=clusterCatalog`. */
export function externalIdFor(type: string, catalogId: string, chart: string, version: string): string {
  const q = new URLSearchParams({ catalog: catalogId.replace(':', '/') });
  if (type !== 'catalog') q.set('type', type);
  q.set('template', chart);
  q.set('version', version);
  return `catalog://?${q.toString()}`;
}

export function catalogCredentials(box: SecretBox, obj: StoredObject): RepoCredentials {
  const sealed = obj.spec.passwordEncrypted as string | undefined;
  return {
    username: (obj.spec.username as string | null | undefined) ?? undefined,
    password: sealed ? box.decrypt(sealed) : undefined,
  };
}

export function catalogIsGit(spec: Record<string, unknown>): boolean {
  return spec.kind === 'git' || /\.git\/?$/.test(String(spec.url)) || String(spec.url).startsWith('git://');
}

/** Where a git catalog's checkout lives. */
export const gitCheckoutDir = (dataDir: string, catalogId: string) =>
  join(dataDir, 'catalogs', templatePrefix(catalogId));

export interface SyncResult {
  commit: string;
  templateCount: number;
  /** Per-chart problems (a bad questions.yml, an archive that cannot be read); the rest syncs. */
  problems: string[];
}

async function mapLimit<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await fn(items[next++]!);
    }),
  );
}

/** Archives read per tar run. */
const ARCHIVE_BATCH = 200;
const versionId = (prefix: string, e: ChartEntry) => `${prefix}-${e.name}-${e.version}`;

const sameSpec = (a: Record<string, unknown>, b: Record<string, unknown>) => JSON.stringify(a) === JSON.stringify(b);

async function put(
  store: Store,
  type: string,
  id: string,
  label: string,
  spec: Record<string, unknown>,
  prev?: StoredObject,
) {
  if (!prev) {
    await store.create({ type, id, metadata: { name: id, labels: { [CATALOG_LABEL]: label }, annotations: {} }, spec });
  } else if (!sameSpec(prev.spec, spec)) {
    await store.update({ ...prev, spec });
  }
}

/** Reads the catalog's repository and makes its templates and template versions match it. */
export async function syncCatalog(
  store: Store,
  box: SecretBox,
  dataDir: string,
  cat: StoredObject,
): Promise<SyncResult> {
  const creds = catalogCredentials(box, cat);
  const url = String(cat.spec.url);
  const git = catalogIsGit(cat.spec);
  let entries: ChartEntry[];
  let commit: string;
  const checkout = gitCheckoutDir(dataDir, cat.id);
  if (git) {
    commit = await syncGitRepo(url, String(cat.spec.branch || 'master'), checkout, creds);
    entries = await readGitCharts(checkout);
  } else {
    entries = await readHelmIndex(url, creds);
    // The index's own checksum stands for a commit: it says when anything changed.
    commit = createHash('sha256').update(JSON.stringify(entries)).digest('hex').slice(0, 12);
  }
  const prefix = templatePrefix(cat.id);
  const selector = `${CATALOG_LABEL}=${prefix}`;
  const [oldVersions, oldTemplates] = await Promise.all([
    listAll(store, 'templateVersion', selector),
    listAll(store, 'template', selector),
  ]);
  const versionsById = new Map(oldVersions.map((o) => [o.id, o]));
  const templatesById = new Map(oldTemplates.map((o) => [o.id, o]));
  const problems: string[] = [];
  const wantVersions = new Set<string>();
  const scope = {
    catalogType: cat.type,
    catalogId: cat.type === 'catalog' ? cat.id : null,
    clusterCatalogId: cat.type === 'clusterCatalog' ? cat.id : null,
    projectCatalogId: cat.type === 'projectCatalog' ? cat.id : null,
    clusterId: (cat.spec.clusterId as string | undefined) ?? null,
    projectId: (cat.spec.projectId as string | undefined) ?? null,
  };

  // Archives are read only when their digest is new: fetched 8 at a time, read in batches.
  const files = new Map<ChartEntry, ChartFiles>();
  const toRead: ChartEntry[] = [];
  for (const e of entries) {
    const prev = versionsById.get(versionId(prefix, e));
    if (!git && prev && e.digest && prev.spec.digest === e.digest) {
      files.set(e, {
        readme: prev.spec.readme as string | undefined,
        appReadme: prev.spec.appReadme as string | undefined,
        questionsText: prev.status.questionsText as string | undefined,
      });
    } else toRead.push(e);
  }
  for (let i = 0; i < toRead.length; i += ARCHIVE_BATCH) {
    const batch = toRead.slice(i, i + ARCHIVE_BATCH);
    if (git) {
      for (const e of batch) {
        const read = await readChartFolder(join(checkout, e.location)).catch((err: Error) => {
          problems.push(`${e.name} ${e.version}: ${err.message}`);
          return {};
        });
        files.set(e, read);
      }
      continue;
    }
    const fetched = new Map<ChartEntry, Buffer>();
    await mapLimit(batch, 8, async (e) => {
      try {
        fetched.set(e, await fetchBytes(e.location, creds));
      } catch (err) {
        problems.push(`${e.name} ${e.version}: ${(err as Error).message}`);
      }
    });
    const got = batch.filter((e) => fetched.has(e));
    const read = await readChartArchives(got.map((e) => fetched.get(e)!));
    got.forEach((e, j) => {
      const r = read[j]!;
      if (r instanceof RepoError) problems.push(`${e.name} ${e.version}: ${r.message}`);
      else files.set(e, r);
    });
  }

  await mapLimit(entries, 8, async (e) => {
    const templateId = `${prefix}-${e.name}`;
    const id = versionId(prefix, e);
    wantVersions.add(id);
    const prev = versionsById.get(id);
    const chartFiles = files.get(e) ?? {};
    let questions: Record<string, unknown>[] = [];
    let questionsError: string | null = null;
    if (chartFiles.questionsText !== undefined) {
      try {
        questions = parseQuestions(chartFiles.questionsText);
      } catch (err) {
        questionsError = `questions.yml: ${(err as Error).message}`;
        problems.push(`${e.name} ${e.version}: ${questionsError}`);
      }
    }
    const spec = {
      templateId,
      version: e.version,
      appVersion: e.appVersion ?? null,
      externalId: externalIdFor(cat.type, cat.id, e.name, e.version),
      digest: e.digest ?? null,
      kubeVersion: e.kubeVersion ?? null,
      readme: chartFiles.readme ?? null,
      appReadme: chartFiles.appReadme ?? null,
      questions,
      questionsError,
      chartUrl: e.location,
      ...scope,
    };
    if (!prev) {
      await store.create({
        type: 'templateVersion',
        id,
        metadata: { name: id, labels: { [CATALOG_LABEL]: prefix }, annotations: {} },
        spec,
        status: { questionsText: chartFiles.questionsText },
      });
    } else if (!sameSpec(prev.spec, spec) || prev.status.questionsText !== chartFiles.questionsText) {
      await store.update({ ...prev, spec, status: { questionsText: chartFiles.questionsText } });
    }
  });

  const byChart = new Map<string, ChartEntry[]>();
  for (const e of entries) byChart.set(e.name, [...(byChart.get(e.name) ?? []), e]);
  for (const [name, list] of byChart) {
    list.sort((a, b) => compareVersions(b.version, a.version));
    const latest = list[0]!;
    const id = `${prefix}-${name}`;
    await put(
      store,
      'template',
      id,
      prefix,
      {
        name,
        ...scope,
        description: latest.description ?? null,
        icon: latest.icon ?? null,
        categories: latest.categories ?? [],
        keywords: latest.keywords ?? [],
        home: latest.home ?? null,
        defaultVersion: latest.version,
        versions: list.map((v) => ({
          version: v.version,
          externalId: externalIdFor(cat.type, cat.id, name, v.version),
          appVersion: v.appVersion ?? '',
          digest: v.digest ?? '',
          created: v.created ?? '',
        })),
      },
      templatesById.get(id),
    );
  }
  const gone = [
    ...oldVersions.filter((o) => !wantVersions.has(o.id)),
    ...oldTemplates.filter((o) => !byChart.has(String(o.spec.name))),
  ];
  await Promise.all(gone.map((o) => store.delete(o.type, o.id).catch(() => undefined)));
  return { commit, templateCount: byChart.size, problems };
}

/** Removes the templates of a catalog that no longer exists. */
export async function removeCatalogTemplates(store: Store, catalogId: string): Promise<void> {
  const selector = `${CATALOG_LABEL}=${templatePrefix(catalogId)}`;
  const objs = [
    ...(await listAll(store, 'templateVersion', selector)),
    ...(await listAll(store, 'template', selector)),
  ];
  await Promise.all(objs.map((o) => store.delete(o.type, o.id).catch(() => undefined)));
}

function specHash(spec: Record<string, unknown>): string {
  const { url, branch, kind, username, passwordEncrypted } = spec;
  return createHash('sha256')
    .update(JSON.stringify([url, branch, kind, username, passwordEncrypted]))
    .digest('hex');
}

/** The key of the pass that marks apps whose helm was interrupted. */
const INTERRUPTED_APPS_KEY = 'apps/interrupted';

/** A failed fetch is tried again after this long (or the refresh interval, when shorter). */
const RETRY_FAILED_MS = 60_000;

export interface CatalogController {
  controller: Controller;
  informers: Record<CatalogType, StoreInformer>;
}

/** Starts the catalog sync controller (on the leader: it only reads repositories and writes the store). */
export async function startCatalogController(deps: {
  store: Store;
  follower: StoreFollower;
  secretBox: SecretBox;
  dataDir: string;
  log: Logger;
  registry?: Registry;
  now?: () => number;
}): Promise<CatalogController> {
  const now = deps.now ?? Date.now;
  const informers = Object.fromEntries(CATALOG_TYPES.map((t) => [t, new StoreInformer(deps.store, t)])) as Record<
    CatalogType,
    StoreInformer
  >;
  for (const i of Object.values(informers)) deps.follower.add(i);
  await Promise.all(Object.values(informers).map((i) => i.start()));

  const controller = defineController({
    name: 'catalog-sync',
    log: deps.log,
    registry: deps.registry,
    maxConcurrent: 2,
    resyncMs: 60_000,
    resyncKeys: () => [
      INTERRUPTED_APPS_KEY,
      ...CATALOG_TYPES.flatMap((t) => informers[t].cache.list().map((o) => `${t}/${o.id}`)),
    ],
    async reconcile(key) {
      if (key === INTERRUPTED_APPS_KEY) return void (await failInterruptedApps(deps.store, now()));
      const slash = key.indexOf('/');
      const type = key.slice(0, slash) as CatalogType;
      const id = key.slice(slash + 1);
      const cached = informers[type].cache.get(id);
      if (!cached || cached.metadata.deletionTimestamp) {
        await removeCatalogTemplates(deps.store, id);
        return;
      }
      const hash = specHash(cached.spec);
      const st = cached.status;
      const last = Date.parse(String(st.lastAttempt ?? '')) || 0;
      const requested = Date.parse(cached.metadata.annotations[REFRESH_ANNOTATION] ?? '') || 0;
      const intervalMs = Number(cached.spec.refreshInterval ?? 3600) * 1000;
      const failed = st.state === 'error';
      const waitMs = failed ? Math.min(RETRY_FAILED_MS, intervalMs || RETRY_FAILED_MS) : intervalMs;
      const due = st.syncedHash !== hash || requested > last || (waitMs > 0 && now() - last >= waitMs);
      if (!due) return waitMs > 0 ? { requeueAfter: Math.max(1000, last + waitMs - now()) } : undefined;

      const started = new Date(now()).toISOString();
      let status: Record<string, unknown>;
      try {
        const r = await syncCatalog(deps.store, deps.secretBox, deps.dataDir, cached);
        status = {
          state: 'active',
          message: r.problems.length ? r.problems.join('; ') : '',
          commit: r.commit,
          templateCount: r.templateCount,
          lastRefreshTimestamp: started,
        };
      } catch (err) {
        if (!(err instanceof RepoError)) throw err;
        // The last good templates stay; the catalog says why it could not be refreshed.
        status = {
          state: 'error',
          message: err.message,
          commit: st.commit ?? null,
          templateCount: st.templateCount ?? 0,
          lastRefreshTimestamp: st.lastRefreshTimestamp ?? null,
        };
      }
      const fresh = await deps.store.get(type, id);
      await deps.store.update({ ...fresh, status: { ...status, syncedHash: hash, lastAttempt: started } });
      return undefined;
    },
  });
  for (const t of CATALOG_TYPES) controller.watch(informers[t], (o) => [`${t}/${o.id}`]);
  controller.start();
  return { controller, informers };
}
