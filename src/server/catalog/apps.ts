/**
 * Apps: Helm releases made from catalog template versions, installed, upgraded, rolled back and
 * uninstalled by the real `helm` running as the requesting user (see helm.ts). The API answers at
 * once; helm runs in the background and writes its output to the app's `log`, then the release's
 * status and `helm history` into the app's state and its appRevisions.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { listAll } from '../../store/list-all.js';
import { parseId } from '../../store/objects.js';
import { StoreError, type Store, type StoredObject } from '../../store/types.js';
import type { ApiContext, TypeBehavior } from '../api/context.js';
import { CLUSTER_ID_LABEL } from '../clusters/memberships.js';
import { ApiError } from '../http/errors.js';
import { canManageProject, canSeeProject, mayEditInProject } from '../projects/access.js';
import { clusterOfProject, PROJECT_ID_LABEL, shortProjectId } from '../projects/memberships.js';
import { upstreamJson, UpstreamError } from '../../kube/upstream-client.js';
import { PROJECT_ANNOTATION } from '../projects/namespaces.js';
import type { StoreInformer } from '../controllers/kit/store-informer.js';
import { compareVersions, fetchBytes, syncGitRepo } from './charts.js';
import { answersToValues, HELM_TOKEN_TTL_MS, withHelmAsUser, type HelmIdentity, type HelmWorkdir } from './helm.js';
import { catalogCredentials, catalogIsGit, gitCheckoutDir, templatePrefix } from './sync.js';
import { existsSync } from 'node:fs';

export const APP_LABEL = 'corral.io/app';
const labelValue = (id: string) => id.replace(':', '.');

export interface CatalogRef {
  catalogType: 'catalog' | 'clusterCatalog' | 'projectCatalog';
  catalogId: string;
  template: string;
  version: string;
  templateId: string;
  templateVersionId: string;
}

/** `catalog://?catalog=<c>[&type=clusterCatalog|projectCatalog]&template=<t>&version=<v>`. */
export function parseExternalId(externalId: string): CatalogRef {
  const bad = (why: string) => new ApiError('InvalidFormat', `externalId ${why}`, 'externalId');
  if (!externalId.startsWith('catalog://?'))
    throw bad('must look like catalog://?catalog=<c>&template=<t>&version=<v>');
  const q = new URLSearchParams(externalId.slice('catalog://?'.length));
  const catalog = q.get('catalog');
  const template = q.get('template');
  const version = q.get('version') ?? q.get('template_version');
  if (!catalog || !template || !version) throw bad('needs catalog, template and version');
  const type = q.get('type') ?? 'catalog';
  if (type !== 'catalog' && type !== 'clusterCatalog' && type !== 'projectCatalog')
    throw bad(`type must be clusterCatalog or projectCatalog, not ${type}`);
  const catalogId = catalog.replace('/', ':');
  const templateId = `${templatePrefix(catalogId)}-${template}`;
  return {
    catalogType: type,
    catalogId,
    template,
    version,
    templateId,
    templateVersionId: `${templateId}-${version}`,
  };
}

/** Puts the chart of a template version where helm can read it; returns its path. */
async function fetchChart(
  ctx: Pick<ApiContext, 'store' | 'services'>,
  ref: CatalogRef,
  tv: StoredObject,
  w: HelmWorkdir,
): Promise<string> {
  const cat = await ctx.store.get(ref.catalogType, ref.catalogId);
  const creds = catalogCredentials(ctx.services.secretBox, cat);
  if (catalogIsGit(cat.spec)) {
    const checkout = gitCheckoutDir(ctx.services.dataDir, cat.id);
    if (!existsSync(join(checkout, String(tv.spec.chartUrl), 'Chart.yaml')))
      await syncGitRepo(String(cat.spec.url), String(cat.spec.branch || 'master'), checkout, creds);
    return join(checkout, String(tv.spec.chartUrl));
  }
  const file = join(w.dir, 'chart.tgz');
  await writeFile(file, await fetchBytes(String(tv.spec.chartUrl), creds));
  return file;
}

async function templateVersionOf(store: Store, ref: CatalogRef): Promise<StoredObject> {
  return store.get('templateVersion', ref.templateVersionId).catch(() => {
    throw new ApiError(
      'InvalidReference',
      `template version ${ref.templateVersionId} does not exist (is catalog ${ref.catalogId} synced?)`,
      'externalId',
    );
  });
}

/** Writes status fields, reading the app again on a conflict (helm output races other writes). */
async function patchStatus(store: Store, type: string, id: string, patch: Record<string, unknown>) {
  for (let i = 0; ; i++) {
    try {
      const fresh = await store.get(type, id);
      return await store.update({ ...fresh, status: { ...fresh.status, ...patch } });
    } catch (err) {
      if (err instanceof StoreError && err.code === 'NotFound') return undefined;
      if (!(err instanceof StoreError && err.code === 'Conflict') || i >= 5) throw err;
    }
  }
}

const HELM_STATE: Record<string, string> = {
  deployed: 'active',
  failed: 'failed',
  'pending-install': 'installing',
  'pending-upgrade': 'upgrading',
  'pending-rollback': 'rolling-back',
  uninstalling: 'removing',
  superseded: 'active',
};

interface HelmHistoryEntry {
  revision: number;
  updated: string;
  status: string;
  chart: string;
  app_version: string;
  description: string;
}

type Identity = HelmIdentity & { services: ApiContext['services'] };

function identityOf(ctx: ApiContext): Identity {
  return {
    store: ctx.store,
    settings: ctx.settings,
    baseUrl: ctx.baseUrl,
    caPem: ctx.services.caPem,
    userId: ctx.auth.user.id,
    username: String(ctx.auth.user.spec.username),
    services: ctx.services,
  };
}

interface Operation {
  kind: 'install' | 'upgrade' | 'rollback';
  /** What this run sets; recorded on the revision it makes. */
  externalId: string;
  answers: Record<string, string>;
  valuesYaml: string;
  rollbackTo?: number;
}

/**
 * One helm run for an app, then its status and history read back (as the same user). Progress
 * reaches `log` at most every half second.
 */
async function runOperation(who: Identity, app: StoredObject, op: Operation): Promise<void> {
  const store = who.store;
  const name = String(app.spec.name);
  const ns = String(app.spec.targetNamespace);
  const clusterId = clusterOfProject(String(app.spec.projectId));
  let lastWrite = 0;
  let pending: Promise<unknown> = Promise.resolve();
  const progress = (all: string) => {
    if (Date.now() - lastWrite < 500) return;
    lastWrite = Date.now();
    pending = pending.then(() => patchStatus(store, 'app', app.id, { log: all.slice(-16_000) })).catch(() => undefined);
  };
  try {
    await withHelmAsUser(who, clusterId, async (w) => {
      let result;
      if (op.kind === 'rollback') {
        result = await w.run(['rollback', name, String(op.rollbackTo), '-n', ns], progress);
      } else {
        const ref = parseExternalId(op.externalId);
        const tv = await templateVersionOf(store, ref);
        const chart = await fetchChart(who, ref, tv, w);
        await writeFile(join(w.dir, 'values.yaml'), op.valuesYaml || '{}\n');
        await writeFile(join(w.dir, 'answers.yaml'), answersToValues(op.answers));
        const verb = op.kind === 'install' ? ['install'] : ['upgrade'];
        result = await w.run(
          [...verb, name, chart, '-n', ns, '-f', join(w.dir, 'values.yaml'), '-f', join(w.dir, 'answers.yaml')],
          progress,
        );
      }
      await pending;
      const history = await w.run(['history', name, '-n', ns, '-o', 'json', '--max', '256']);
      const entries: HelmHistoryEntry[] = history.code === 0 ? (JSON.parse(history.output) as HelmHistoryEntry[]) : [];
      const last = entries[entries.length - 1];
      if (last && result.code === 0) await recordRevisions(store, app, entries, op);
      const notes = result.code === 0 ? await w.run(['get', 'notes', name, '-n', ns]) : undefined;
      const manifest = result.code === 0 ? await w.run(['get', 'manifest', name, '-n', ns]) : undefined;
      const failed = result.code !== 0;
      await patchStatus(store, 'app', app.id, {
        state: failed
          ? last
            ? (HELM_STATE[last.status] ?? last.status)
            : 'failed'
          : (HELM_STATE[last?.status ?? ''] ?? 'active'),
        message: failed ? lastLines(result.output) : (last?.description ?? ''),
        log: result.output.slice(-16_000),
        revision: last?.revision ?? null,
        appRevisionId: last ? `${app.id}-${last.revision}` : null,
        notes: notes?.code === 0 ? notes.output.slice(-16_000) : null,
        ...(manifest?.code === 0 ? { resources: manifestResources(manifest.output) } : {}),
        ...(failed && op.kind !== 'install' ? { failedOperation: op.kind } : {}),
      });
      if (!failed && op.kind !== 'install') {
        const fresh = await store.get('app', app.id);
        await store.update({
          ...fresh,
          spec: { ...fresh.spec, externalId: op.externalId, answers: op.answers, valuesYaml: op.valuesYaml },
        });
      }
    });
  } catch (err) {
    await patchStatus(store, 'app', app.id, { state: 'failed', message: (err as Error).message });
  }
}

/** `Kind/name` of each object in a rendered manifest. */
export function manifestResources(manifest: string): string[] {
  return parseAllDocuments(manifest)
    .map((d) => d.toJS() as { kind?: string; metadata?: { name?: string } } | null)
    .filter((o) => o?.kind && o.metadata?.name)
    .map((o) => `${o!.kind!}/${o!.metadata!.name!}`);
}

function lastLines(output: string): string {
  return output.trim().split('\n').slice(-3).join(' ').slice(0, 2000) || 'helm failed';
}

async function recordRevisions(store: Store, app: StoredObject, entries: HelmHistoryEntry[], op: Operation) {
  const existing = new Map(
    (await listAll(store, 'appRevision', `${APP_LABEL}=${labelValue(app.id)}`)).map((r) => [r.id, r]),
  );
  for (const e of entries) {
    const id = `${app.id}-${e.revision}`;
    const prev = existing.get(id);
    const isNew = e === entries[entries.length - 1] && !prev;
    const spec = {
      appId: app.id,
      projectId: app.spec.projectId,
      revision: e.revision,
      externalId: prev?.spec.externalId ?? (isNew ? op.externalId : null),
      answers: prev?.spec.answers ?? (isNew ? op.answers : {}),
      valuesYaml: prev?.spec.valuesYaml ?? (isNew ? op.valuesYaml : ''),
      status: e.status,
      description: e.description,
      updated: e.updated,
    };
    if (!prev) {
      await store.create({
        type: 'appRevision',
        id,
        metadata: {
          name: parseId(id).name,
          labels: { [APP_LABEL]: labelValue(app.id), [PROJECT_ID_LABEL]: labelValue(String(app.spec.projectId)) },
          annotations: {},
        },
        spec,
      });
    } else if (JSON.stringify(prev.spec) !== JSON.stringify(spec)) {
      await store.update({ ...prev, spec });
    }
  }
}

async function requireEditor(ctx: ApiContext, projectId: string) {
  if (!(await mayEditInProject(ctx, projectId)))
    throw new ApiError('PermissionDenied', `you may not manage apps of project ${projectId}`);
}

/** Creates a namespace in a project with the checks of the namespaces API (rights, quota). */
export type CreateNamespace = (ctx: ApiContext, clusterId: string, body: Record<string, unknown>) => Promise<unknown>;

/**
 * The namespace must belong to the app's project; one that does not exist yet is created in it,
 * if the caller may create namespaces there.
 */
async function checkNamespace(ctx: ApiContext, projectId: string, ns: string, createNs: CreateNamespace) {
  const clusterId = clusterOfProject(projectId);
  const conn = ctx.services.connections.get(clusterId);
  if (!conn)
    throw new ApiError('ServiceUnavailable', `cluster ${clusterId} is unavailable: its agent is not connected`);
  const found = await upstreamJson<{ metadata: { annotations?: Record<string, string> } }>(
    conn.upstream,
    'GET',
    `/api/v1/namespaces/${ns}`,
  ).catch(async (err: unknown) => {
    if (!(err instanceof UpstreamError && err.status === 404)) throw err;
    await createNs(ctx, clusterId, { name: ns, projectId });
    return { metadata: { annotations: { [PROJECT_ANNOTATION]: projectId } } };
  });
  if (found.metadata.annotations?.[PROJECT_ANNOTATION] !== projectId)
    throw new ApiError('InvalidReference', `namespace ${ns} is not in project ${projectId}`, 'targetNamespace');
}

function checkValuesYaml(text: unknown, field: string) {
  if (typeof text !== 'string' || text.trim() === '') return;
  try {
    const v: unknown = parseYaml(text, { maxAliasCount: 100 });
    if (v !== null && (typeof v !== 'object' || Array.isArray(v))) throw new Error('it must be a mapping');
  } catch (err) {
    throw new ApiError(
      'InvalidFormat',
      `${field} is not a YAML mapping: ${(err as Error).message.split('\n')[0]}`,
      field,
    );
  }
}

async function newApp(ctx: ApiContext, fields: Record<string, unknown>, createNs: CreateNamespace) {
  const projectId = String(fields.projectId);
  await ctx.store.get('project', projectId).catch(() => {
    throw new ApiError('InvalidReference', `project "${projectId}" does not exist`, 'projectId');
  });
  await requireEditor(ctx, projectId);
  const ref = parseExternalId(String(fields.externalId));
  await templateVersionOf(ctx.store, ref);
  checkValuesYaml(fields.valuesYaml, 'valuesYaml');
  const id = `${shortProjectId(projectId)}:${String(fields.name)}`;
  // Before a namespace may be made for it: a name taken is refused with nothing changed.
  if (
    await ctx.store.get('app', id).then(
      () => true,
      () => false,
    )
  )
    throw new ApiError('NotUnique', `project ${projectId} already has an app named ${String(fields.name)}`, 'name');
  await checkNamespace(ctx, projectId, String(fields.targetNamespace), createNs);
  return {
    id,
    spec: { ...fields, answers: fields.answers ?? {}, valuesYaml: fields.valuesYaml ?? '' },
    status: { state: 'installing', message: 'helm install is starting', operationStarted: new Date().toISOString() },
    labels: { [PROJECT_ID_LABEL]: labelValue(projectId), [CLUSTER_ID_LABEL]: clusterOfProject(projectId) },
  };
}

function install(ctx: ApiContext, obj: StoredObject) {
  void runOperation(identityOf(ctx), obj, {
    kind: 'install',
    externalId: String(obj.spec.externalId),
    answers: (obj.spec.answers as Record<string, string> | undefined) ?? {},
    valuesYaml: String(obj.spec.valuesYaml ?? ''),
  });
}

const TRANSITIONAL = ['installing', 'upgrading', 'rolling-back'];

/**
 * Apps left in a transitional state by a server that stopped while helm ran: once the token helm
 * ran with has expired, that helm cannot be running any more, so the app says so and may be
 * upgraded, rolled back or deleted again. Level-triggered; the leader runs it every minute.
 */
export async function failInterruptedApps(store: Store, now = Date.now()): Promise<number> {
  const stale = (await listAll(store, 'app')).filter(
    (a) =>
      TRANSITIONAL.includes(String(a.status.state)) &&
      now - (Date.parse(String(a.status.operationStarted ?? '')) || 0) > HELM_TOKEN_TTL_MS + 60_000,
  );
  for (const a of stale) {
    await patchStatus(store, 'app', a.id, {
      state: 'failed',
      message: `helm ${String(a.status.state)} was interrupted (the server running it stopped); run the operation again`,
    });
  }
  return stale.length;
}

function busy(obj: StoredObject) {
  const s = String(obj.status.state ?? '');
  if ([...TRANSITIONAL, 'removing'].includes(s))
    throw new ApiError('Conflict', `app ${obj.id} is ${s}; wait until helm is done`);
}

export function appBehavior(templates: () => StoreInformer | undefined, createNs: CreateNamespace): TypeBehavior {
  return {
    prepareCreate: (fields, ctx) => newApp(ctx, fields, createNs),
    afterCreate: async (obj, ctx) => void install(ctx, obj),
    ownerAllows: (verb, obj, ctx) => {
      const projectId = String(obj.spec.projectId ?? '');
      if (verb === 'create') return true; // checked against the project in prepareCreate
      if (verb === 'get' || verb === 'list') return canSeeProject(ctx, projectId);
      const held = ctx.projectMemberships.get(projectId);
      return canManageProject(ctx, projectId) || ['project-member', 'edit'].some((t) => held?.has(t));
    },
    ownListFilter: (ctx) => (obj) => canSeeProject(ctx, String(obj.spec.projectId)),
    renderExtra(obj) {
      let upgradeAvailable: string | null = null;
      try {
        const ref = parseExternalId(String(obj.spec.externalId));
        const t = templates()?.cache.get(ref.templateId);
        const latest = t?.spec.defaultVersion as string | undefined;
        if (latest && compareVersions(latest, ref.version) > 0) upgradeAvailable = latest;
        return { upgradeAvailable, templateVersionId: ref.templateVersionId, templateId: ref.templateId };
      } catch {
        return { upgradeAvailable };
      }
    },
    async beforeDelete(existing, ctx) {
      await requireEditor(ctx, String(existing.spec.projectId));
      const ns = String(existing.spec.targetNamespace);
      const name = String(existing.spec.name);
      const r = await withHelmAsUser(identityOf(ctx), clusterOfProject(String(existing.spec.projectId)), (w) =>
        w.run(['uninstall', name, '-n', ns]),
      );
      if (r.code !== 0 && !/not found/i.test(r.output)) {
        if (/forbidden/i.test(r.output))
          throw new ApiError('PermissionDenied', `helm uninstall: ${lastLines(r.output)}`);
        throw new ApiError('ServiceUnavailable', `helm uninstall failed: ${lastLines(r.output)}`);
      }
    },
    async afterDelete(existing, ctx) {
      const revs = await listAll(ctx.store, 'appRevision', `${APP_LABEL}=${labelValue(existing.id)}`);
      await Promise.all(revs.map((r) => ctx.store.delete('appRevision', r.id).catch(() => undefined)));
    },
    resourceActions: {
      async upgrade(obj, input, ctx) {
        await requireEditor(ctx, String(obj.spec.projectId));
        busy(obj);
        const externalId = String(input.externalId ?? obj.spec.externalId);
        const ref = parseExternalId(externalId);
        await templateVersionOf(ctx.store, ref);
        const current = parseExternalId(String(obj.spec.externalId));
        if (ref.templateId !== current.templateId)
          throw new ApiError('InvalidValue', `an upgrade stays on template ${current.templateId}`, 'externalId');
        checkValuesYaml(input.valuesYaml, 'valuesYaml');
        const op: Operation = {
          kind: 'upgrade',
          externalId,
          answers:
            (input.answers as Record<string, string> | undefined) ?? (obj.spec.answers as Record<string, string>) ?? {},
          valuesYaml: String(input.valuesYaml ?? obj.spec.valuesYaml ?? ''),
        };
        const updated = await patchStatus(ctx.store, 'app', obj.id, {
          state: 'upgrading',
          operationStarted: new Date().toISOString(),
          message: 'helm upgrade is starting',
        });
        void runOperation(identityOf(ctx), obj, op);
        return updated;
      },
      async rollback(obj, input, ctx) {
        await requireEditor(ctx, String(obj.spec.projectId));
        busy(obj);
        const given = String(input.revisionId);
        const revId = /^\d+$/.test(given) ? `${obj.id}-${given}` : given;
        const rev = await ctx.store.get('appRevision', revId).catch(() => undefined);
        if (!rev || rev.spec.appId !== obj.id)
          throw new ApiError('InvalidReference', `app ${obj.id} has no revision ${given}`, 'revisionId');
        const op: Operation = {
          kind: 'rollback',
          rollbackTo: Number(rev.spec.revision),
          externalId: String(rev.spec.externalId ?? obj.spec.externalId),
          answers: (rev.spec.answers as Record<string, string>) ?? {},
          valuesYaml: String(rev.spec.valuesYaml ?? ''),
        };
        const updated = await patchStatus(ctx.store, 'app', obj.id, {
          state: 'rolling-back',
          operationStarted: new Date().toISOString(),
          message: `helm rollback to revision ${op.rollbackTo} is starting`,
        });
        void runOperation(identityOf(ctx), obj, op);
        return updated;
      },
      async clone(obj, input, ctx) {
        const targetNamespace = String(input.targetNamespace);
        if (targetNamespace === obj.spec.targetNamespace)
          throw new ApiError(
            'InvalidValue',
            `a clone goes into another namespace than ${targetNamespace} (helm releases are per namespace)`,
            'targetNamespace',
          );
        const prepared = await newApp(
          ctx,
          {
            name: input.name,
            projectId: obj.spec.projectId,
            externalId: obj.spec.externalId,
            targetNamespace,
            answers: obj.spec.answers ?? {},
            valuesYaml: obj.spec.valuesYaml ?? '',
            description: obj.spec.description ?? null,
          },
          createNs,
        );
        const created = await ctx.store
          .create({
            type: 'app',
            id: prepared.id,
            metadata: { name: parseId(prepared.id).name, labels: prepared.labels, annotations: {} },
            spec: prepared.spec,
            status: prepared.status,
          })
          .catch((err: unknown) => {
            if (err instanceof StoreError && err.code === 'AlreadyExists')
              throw new ApiError('NotUnique', `app ${prepared.id} already exists`, 'name');
            throw err;
          });
        install(ctx, created);
        return created;
      },
    },
  };
}

export const appRevisionBehavior: TypeBehavior = {
  ownerAllows: (verb, obj, ctx) =>
    (verb === 'get' || verb === 'list') && canSeeProject(ctx, String(obj.spec.projectId)),
  ownListFilter: (ctx) => (obj) => canSeeProject(ctx, String(obj.spec.projectId)),
};
