import { f } from '../fields.js';
import { defineSubtype, defineType } from '../schema.js';
import { MANAGEMENT_GROUP } from './common.js';

export const registryCredential = defineSubtype({
  id: 'registryCredential',
  fields: {
    username: f.string({ required: true, maxLength: 1024 }),
    password: f.password({ required: true, maxLength: 4096 }),
  },
});

/**
 * A Secret kept in every namespace of a project (Rancher's project-scoped secrets, registry
 * credentials and certificates). Its values are stored encrypted and never returned.
 */
export const projectSecret = defineType({
  id: 'projectSecret',
  plural: 'projectSecrets',
  idPrefix: 'ps-',
  fields: {
    projectId: f.ref('project', { required: true, update: false }),
    name: f.string({
      required: true,
      update: false,
      maxLength: 253,
      pattern: /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/,
      patternHint: 'must be a Kubernetes name: lower-case letters, digits, - and .',
    }),
    description: f.string({ maxLength: 1024 }),
    kind: f.enum(['secret', 'dockerCredential', 'certificate'], { default: 'secret', update: false }),
    /** kind secret: key → value. */
    data: f.map(f.string(), { writeOnly: true }),
    /** kind dockerCredential: registry host → {username, password}. */
    registries: f.map(f.object(registryCredential), { writeOnly: true }),
    /** kind certificate: the certificate chain (PEM) is shown, the key never. */
    certs: f.string({ maxLength: 65536 }),
    key: f.password({ writeOnly: true, maxLength: 65536 }),
    /** The keys the Secret has (values are never returned). */
    keys: f.array(f.string(), { readOnly: true }),
    // kind certificate: read from `certs` by the server (Rancher's certificate fields).
    cn: f.string({ readOnly: true }),
    issuer: f.string({ readOnly: true }),
    subjectAlternativeNames: f.array(f.string(), { readOnly: true }),
    issuedAt: f.date({ readOnly: true }),
    expiresAt: f.date({ readOnly: true }),
    certFingerprint: f.string({ readOnly: true }),
  },
  collectionMethods: ['GET', 'POST'],
  resourceMethods: ['GET', 'PUT', 'DELETE'],
  columns: ['id', 'name', 'projectId', 'kind', 'keys', 'cn', 'expiresAt'],
  authz: { apiGroup: MANAGEMENT_GROUP, resource: 'secrets' },
});
