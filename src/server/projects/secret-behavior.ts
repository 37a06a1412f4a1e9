import { createPrivateKey, X509Certificate } from 'node:crypto';
import { listAll } from '../../store/list-all.js';
import type { StoredObject } from '../../store/types.js';
import type { TypeBehavior } from '../api/context.js';
import { randomSuffix } from '../auth/token-secret.js';
import { CLUSTER_ID_LABEL } from '../clusters/memberships.js';
import { ApiError } from '../http/errors.js';
import type { SecretBox } from '../secrets/encryption.js';
import { canManageProject, canSeeProject, mayEditInProject } from './access.js';
import { clusterOfProject, PROJECT_ID_LABEL } from './memberships.js';

export interface SecretValues {
  data?: Record<string, string>;
  registries?: Record<string, { username: string; password: string }>;
  key?: string;
}

function checkValues(kind: string, values: SecretValues, certs: string | undefined): string[] {
  if (kind === 'secret') {
    const keys = Object.keys(values.data ?? {});
    if (keys.length === 0) throw new ApiError('MissingRequired', 'a secret needs data: at least one key', 'data');
    for (const k of keys) {
      if (!/^[-._a-zA-Z0-9]+$/.test(k))
        throw new ApiError('InvalidFormat', `data key "${k}" must be letters, digits, -, _ or .`, `data.${k}`);
    }
    return keys.sort();
  }
  if (kind === 'dockerCredential') {
    if (!values.registries || Object.keys(values.registries).length === 0) {
      throw new ApiError(
        'MissingRequired',
        'a registry credential needs registries: host → {username, password}',
        'registries',
      );
    }
    return ['.dockerconfigjson'];
  }
  if (!certs) throw new ApiError('MissingRequired', 'a certificate needs certs (PEM)', 'certs');
  if (!values.key) throw new ApiError('MissingRequired', 'a certificate needs its key (PEM)', 'key');
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certs);
  } catch (err) {
    throw new ApiError('InvalidFormat', `certs is not a PEM certificate: ${(err as Error).message}`, 'certs');
  }
  try {
    if (!cert.checkPrivateKey(createPrivateKey(values.key))) throw new Error('it does not match the certificate');
  } catch (err) {
    throw new ApiError('InvalidValue', `key: ${(err as Error).message}`, 'key');
  }
  return ['tls.crt', 'tls.key'];
}

/** Rancher's certificate fields, read from the leaf (the first certificate of the chain). */
export function certificateInfo(certs: string): Record<string, unknown> {
  const cert = new X509Certificate(certs);
  const field = (dn: string, name: string) =>
    dn
      .split('\n')
      .find((l) => l.startsWith(`${name}=`))
      ?.slice(name.length + 1);
  return {
    cn: field(cert.subject, 'CN') ?? cert.subject.replace(/\n/g, ', '),
    issuer: field(cert.issuer, 'CN') ?? cert.issuer.replace(/\n/g, ', '),
    subjectAlternativeNames: (cert.subjectAltName ?? '')
      .split(', ')
      .filter(Boolean)
      .map((n) => n.replace(/^(DNS|IP Address):/, '')),
    issuedAt: new Date(cert.validFrom).toISOString(),
    expiresAt: new Date(cert.validTo).toISOString(),
    certFingerprint: cert.fingerprint256,
  };
}

function valuesOf(fields: Record<string, unknown>): SecretValues {
  return {
    data: fields.data as SecretValues['data'],
    registries: fields.registries as SecretValues['registries'],
    key: fields.key as string | undefined,
  };
}

export function readSecretValues(box: SecretBox, obj: StoredObject): SecretValues {
  return JSON.parse(box.decrypt(String(obj.spec.valuesEncrypted))) as SecretValues;
}

export const projectSecretBehavior: TypeBehavior = {
  async prepareCreate(fields, ctx) {
    const projectId = String(fields.projectId);
    await ctx.store.get('project', projectId).catch(() => {
      throw new ApiError('InvalidReference', `project "${projectId}" does not exist`, 'projectId');
    });
    if (!(await mayEditInProject(ctx, projectId)))
      throw new ApiError('PermissionDenied', `you may not manage secrets of project ${projectId}`);
    const siblings = await listAll(ctx.store, 'projectSecret', `${PROJECT_ID_LABEL}=${projectId.replace(':', '.')}`);
    if (siblings.some((s) => s.spec.name === fields.name)) {
      throw new ApiError('NotUnique', `project ${projectId} already has a secret named ${String(fields.name)}`, 'name');
    }
    const kind = String(fields.kind ?? 'secret');
    const values = valuesOf(fields);
    const keys = checkValues(kind, values, fields.certs as string | undefined);
    const { data: _d, registries: _r, key: _k, ...plain } = fields;
    return {
      id: `ps-${randomSuffix(5)}`,
      spec: {
        ...plain,
        kind,
        keys,
        ...(kind === 'certificate' ? certificateInfo(String(fields.certs)) : {}),
        valuesEncrypted: ctx.services.secretBox.encrypt(JSON.stringify(values)),
      },
      labels: { [PROJECT_ID_LABEL]: projectId.replace(':', '.'), [CLUSTER_ID_LABEL]: clusterOfProject(projectId) },
    };
  },
  async prepareUpdate(existing, fields, ctx) {
    const projectId = String(existing.spec.projectId);
    if (!(await mayEditInProject(ctx, projectId)))
      throw new ApiError('PermissionDenied', `you may not manage secrets of project ${projectId}`);
    const old = readSecretValues(ctx.services.secretBox, existing);
    const given = valuesOf(fields);
    const values: SecretValues = {
      data: given.data ?? old.data,
      registries: given.registries ?? old.registries,
      key: given.key ?? old.key,
    };
    const certs = (fields.certs as string | undefined) ?? (existing.spec.certs as string | undefined);
    const keys = checkValues(String(existing.spec.kind), values, certs);
    const { data: _d, registries: _r, key: _k, ...plain } = fields;
    return {
      ...existing.spec,
      ...plain,
      keys,
      ...(existing.spec.kind === 'certificate' ? certificateInfo(certs!) : {}),
      valuesEncrypted: ctx.services.secretBox.encrypt(JSON.stringify(values)),
    };
  },
  ownerAllows: (verb, obj, ctx) => {
    const projectId = String(obj.spec.projectId ?? '');
    if (verb === 'create') return true; // checked against the project in prepareCreate
    if (verb === 'get' || verb === 'list') return canSeeProject(ctx, projectId);
    // A first answer for links; the update and delete hooks check the template closure.
    const held = ctx.projectMemberships.get(projectId);
    return canManageProject(ctx, projectId) || ['edit', 'secrets-manage', 'project-member'].some((t) => held?.has(t));
  },
  ownListFilter: (ctx) => (obj) => canSeeProject(ctx, String(obj.spec.projectId)),
  async beforeDelete(existing, ctx) {
    const projectId = String(existing.spec.projectId);
    if (!(await mayEditInProject(ctx, projectId)))
      throw new ApiError('PermissionDenied', `you may not manage secrets of project ${projectId}`);
  },
};
