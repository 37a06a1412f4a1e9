import { corralLabels, type KubeObject } from '../rbac/desired.js';
import type { SecretValues } from './secret-behavior.js';

export interface ProjectSecretInfo {
  /** p-xxxxx */
  projectId: string;
  name: string;
  kind: 'secret' | 'dockerCredential' | 'certificate';
  values: SecretValues;
  certs?: string;
}

const b64 = (text: string) => Buffer.from(text).toString('base64');

function secretContent(s: ProjectSecretInfo): Pick<KubeObject, 'type' | 'data'> {
  switch (s.kind) {
    case 'secret':
      return {
        type: 'Opaque',
        data: Object.fromEntries(Object.entries(s.values.data ?? {}).map(([k, v]) => [k, b64(v)])),
      };
    case 'dockerCredential': {
      const auths = Object.fromEntries(
        Object.entries(s.values.registries ?? {}).map(([host, c]) => [
          host,
          { username: c.username, password: c.password, auth: b64(`${c.username}:${c.password}`) },
        ]),
      );
      return { type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': b64(JSON.stringify({ auths })) } };
    }
    case 'certificate':
      return { type: 'kubernetes.io/tls', data: { 'tls.crt': b64(s.certs ?? ''), 'tls.key': b64(s.values.key ?? '') } };
  }
}

/** A copy of each project secret in every namespace of its project, and nowhere else. */
export function desiredProjectSecrets(input: {
  clusterId: string;
  namespaces: { name: string; projectId?: string }[];
  secrets: ProjectSecretInfo[];
}): KubeObject[] {
  const out: KubeObject[] = [];
  for (const ns of input.namespaces) {
    if (!ns.projectId) continue;
    for (const s of input.secrets.filter((x) => x.projectId === ns.projectId)) {
      out.push({
        apiVersion: 'v1',
        kind: 'Secret',
        metadata: { name: s.name, namespace: ns.name, labels: corralLabels(input.clusterId, s.projectId) },
        ...secretContent(s),
      });
    }
  }
  return out;
}
