import { f } from '../fields.js';
import { defineSubtype, defineType } from '../schema.js';
import { MANAGEMENT_GROUP } from './common.js';

const PROJECT_GROUP = 'project.cattle.io';

const catalogName = f.string({
  required: true,
  update: false,
  maxLength: 63,
  pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
  patternHint: 'must be lower-case letters, digits and -, starting and ending with a letter or digit',
});

/**
 * Rancher's catalog fields. `kind` says how `url` is read: `helm` is a chart repository serving
 * `index.yaml` (a URL ending in `.git` is still cloned, as Rancher does), `git` a repository of
 * chart folders cloned at `branch`. The password is stored encrypted and never returned.
 */
const catalogFields = {
  name: catalogName,
  description: f.string({ maxLength: 1024 }),
  url: f.string({
    required: true,
    maxLength: 2048,
    pattern: /^(https?|git|ssh|file):\/\/\S+$/,
    patternHint: 'must be an http(s), git, ssh or file URL',
  }),
  kind: f.enum(['helm', 'git'], { default: 'helm' }),
  branch: f.string({ default: 'master', maxLength: 255 }),
  helmVersion: f.enum(['helm_v3', 'rancher-helm'], { default: 'helm_v3' }),
  username: f.string({ maxLength: 1024 }),
  password: f.password({ writeOnly: true, maxLength: 4096 }),
  /** Seconds between syncs; 0 syncs only on create, change and `?action=refresh`. */
  refreshInterval: f.int({ default: 3600, min: 0, max: 7 * 86400 }),
  commit: f.string({ readOnly: true }),
  lastRefreshTimestamp: f.date({ readOnly: true }),
  /** When the last sync was tried, whatever its outcome. */
  lastAttempt: f.date({ readOnly: true }),
  templateCount: f.int({ readOnly: true }),
  message: f.string({ readOnly: true }),
};

const catalogActions = { refresh: { description: 'fetch the repository again now' } };

export const catalog = defineType({
  id: 'catalog',
  plural: 'catalogs',
  fields: catalogFields,
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'PUT', 'DELETE'],
  resourceActions: catalogActions,
  collectionActions: { refresh: { description: 'fetch every catalog again now' } },
  columns: ['name', 'kind', 'url', 'branch', 'state', 'templateCount', 'message'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'catalogs' },
});

export const clusterCatalog = defineType({
  id: 'clusterCatalog',
  plural: 'clusterCatalogs',
  fields: { ...catalogFields, clusterId: f.ref('cluster', { required: true, update: false }) },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'PUT', 'DELETE'],
  resourceActions: catalogActions,
  columns: ['id', 'clusterId', 'kind', 'url', 'state', 'templateCount', 'message'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'clustercatalogs' },
});

export const projectCatalog = defineType({
  id: 'projectCatalog',
  plural: 'projectCatalogs',
  fields: { ...catalogFields, projectId: f.ref('project', { required: true, update: false }) },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'PUT', 'DELETE'],
  resourceActions: catalogActions,
  columns: ['id', 'projectId', 'kind', 'url', 'state', 'templateCount', 'message'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'projectcatalogs' },
});

export const templateVersionSummary = defineSubtype({
  id: 'templateVersionSummary',
  fields: {
    version: f.string(),
    externalId: f.string(),
    appVersion: f.string(),
    digest: f.string(),
    created: f.string(),
  },
});

/** One chart of a catalog: `<catalog>-<chart>` (cluster and project catalogs: `<scope>-<catalog>-<chart>`). */
export const template = defineType({
  id: 'template',
  plural: 'templates',
  fields: {
    name: f.string({ readOnly: true }),
    catalogId: f.string({ readOnly: true }),
    clusterCatalogId: f.string({ readOnly: true }),
    projectCatalogId: f.string({ readOnly: true }),
    /** Which catalog scope: `catalog`, `clusterCatalog` or `projectCatalog`. */
    catalogType: f.string({ readOnly: true }),
    clusterId: f.string({ readOnly: true }),
    projectId: f.string({ readOnly: true }),
    description: f.string({ readOnly: true }),
    icon: f.string({ readOnly: true }),
    categories: f.array(f.string(), { readOnly: true }),
    keywords: f.array(f.string(), { readOnly: true }),
    home: f.string({ readOnly: true }),
    defaultVersion: f.string({ readOnly: true }),
    versions: f.array(f.object(templateVersionSummary), { readOnly: true }),
  },
  collectionMethods: ['GET'],
  resourceMethods: ['GET'],
  columns: ['id', 'name', 'defaultVersion', 'catalogId', 'description'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'templates' },
});

/** One version of a chart: `<template>-<version>`, with its README, app-readme and questions. */
export const templateVersion = defineType({
  id: 'templateVersion',
  plural: 'templateVersions',
  fields: {
    templateId: f.string({ readOnly: true }),
    version: f.string({ readOnly: true }),
    appVersion: f.string({ readOnly: true }),
    externalId: f.string({ readOnly: true }),
    digest: f.string({ readOnly: true }),
    kubeVersion: f.string({ readOnly: true }),
    readme: f.string({ readOnly: true }),
    appReadme: f.string({ readOnly: true }),
    /** Rancher's questions.yml, parsed: [{variable, label, type, default, required, group, show_if, subquestions…}]. */
    questions: f.json<Record<string, unknown>[]>({ readOnly: true }),
    /** Why the chart's questions.yml was not read, when it was not. */
    questionsError: f.string({ readOnly: true }),
    /** Where the chart archive (or folder, for git catalogs) is. */
    chartUrl: f.string({ readOnly: true }),
  },
  collectionMethods: ['GET'],
  resourceMethods: ['GET'],
  columns: ['id', 'version', 'appVersion', 'templateId'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'templateversions' },
});

export const appUpgradeInput = defineSubtype({
  id: 'appUpgradeConfig',
  fields: {
    externalId: f.string({ maxLength: 2048 }),
    answers: f.map(f.string()),
    valuesYaml: f.string({ maxLength: 1 << 19 }),
  },
});
export const appRollbackInput = defineSubtype({
  id: 'rollbackRevision',
  fields: { revisionId: f.string({ required: true, maxLength: 512 }) },
});
export const appCloneInput = defineSubtype({
  id: 'appClone',
  fields: {
    name: f.string({ required: true, maxLength: 53 }),
    targetNamespace: f.string({ required: true, maxLength: 63 }),
  },
});

/**
 * A Helm release made from a template version, in a project: id `<p-xxxxx>:<name>`. Installs,
 * upgrades, rollbacks and deletion run the real `helm` as the requesting user, through the
 * authentication proxy, so Kubernetes RBAC decides what they may create.
 */
export const app = defineType({
  id: 'app',
  plural: 'apps',
  fields: {
    name: f.string({
      required: true,
      update: false,
      maxLength: 53,
      pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
      patternHint: 'must be a Helm release name: lower-case letters, digits and -',
    }),
    projectId: f.ref('project', { required: true, update: false }),
    description: f.string({ maxLength: 1024 }),
    externalId: f.string({ required: true, update: false, maxLength: 2048 }),
    targetNamespace: f.string({
      required: true,
      update: false,
      maxLength: 63,
      pattern: /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
      patternHint: 'must be a Kubernetes namespace name',
    }),
    answers: f.map(f.string(), { update: false }),
    valuesYaml: f.string({ maxLength: 1 << 19, update: false }),
    revision: f.int({ readOnly: true }),
    appRevisionId: f.string({ readOnly: true }),
    templateVersionId: f.string({ readOnly: true }),
    templateId: f.string({ readOnly: true }),
    upgradeAvailable: f.string({ readOnly: true, description: 'the newest version in the catalog, when newer' }),
    /** Why the app is in its state (helm's error, the release's description). */
    message: f.string({ readOnly: true }),
    /** helm's last output (progress while it runs, the resources created when done). */
    log: f.string({ readOnly: true }),
    notes: f.string({ readOnly: true }),
    /** What the release made, as `Kind/name` (from `helm get manifest`). */
    resources: f.array(f.string(), { readOnly: true }),
  },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'DELETE'],
  resourceActions: {
    upgrade: { input: 'appUpgradeConfig' },
    rollback: { input: 'rollbackRevision' },
    clone: { input: 'appClone', verb: 'create' },
  },
  columns: ['id', 'name', 'targetNamespace', 'externalId', 'state', 'revision', 'upgradeAvailable'],
  authz: { apiGroup: PROJECT_GROUP, resource: 'apps' },
});

/** One Helm revision of an app: `<app id>-<revision>`. */
export const appRevision = defineType({
  id: 'appRevision',
  plural: 'appRevisions',
  fields: {
    appId: f.string({ readOnly: true }),
    projectId: f.string({ readOnly: true }),
    revision: f.int({ readOnly: true }),
    externalId: f.string({ readOnly: true }),
    answers: f.map(f.string(), { readOnly: true }),
    valuesYaml: f.string({ readOnly: true }),
    status: f.string({ readOnly: true }),
    description: f.string({ readOnly: true }),
    updated: f.string({ readOnly: true }),
  },
  collectionMethods: ['GET'],
  resourceMethods: ['GET'],
  columns: ['id', 'revision', 'status', 'externalId', 'updated'],
  authz: { apiGroup: PROJECT_GROUP, resource: 'apprevisions' },
});
