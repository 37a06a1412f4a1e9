import { useState } from 'react';
import { api, errorMessage } from '../api/http';
import { useApi } from '../api/useApi';
import type { V3Resource } from '../api/types';
import {
  activeDirectoryConfig,
  githubConfig,
  keyCloakOIDCConfig,
  oidcConfig,
  oktaConfig,
  openLdapConfig,
  shibbolethConfig,
} from '../../../src/schema/types/auth-config.js';
import type { TypeDef } from '../../../src/schema/schema.js';
import { Button } from '../components/Button';
import { Dialog } from '../components/Dialog';
import { Field } from '../components/Field';
import { SchemaForm } from '../components/SchemaForm';

/** Each provider's page: its type (one declaration, forms derived) and what testAndApply wants. */
const PROVIDERS: { id: string; title: string; type: TypeDef; kind: 'directory' | 'oidc' | 'github' | 'saml' }[] = [
  { id: 'openldap', title: 'OpenLDAP', type: openLdapConfig, kind: 'directory' },
  { id: 'activedirectory', title: 'Active Directory', type: activeDirectoryConfig, kind: 'directory' },
  { id: 'genericoidc', title: 'OpenID Connect', type: oidcConfig, kind: 'oidc' },
  { id: 'keycloakoidc', title: 'Keycloak (OIDC)', type: keyCloakOIDCConfig, kind: 'oidc' },
  { id: 'github', title: 'GitHub', type: githubConfig, kind: 'github' },
  { id: 'shibboleth', title: 'Shibboleth (SAML)', type: shibbolethConfig, kind: 'saml' },
  { id: 'okta', title: 'Okta (SAML)', type: oktaConfig, kind: 'saml' },
];

/** The body field each kind's testAndApply takes the configuration in. */
const INPUT_FIELD = { oidc: 'oidcConfig', github: 'githubConfig', saml: 'samlConfig' } as const;

type AuthConfig = V3Resource & { enabled?: boolean; accessMode?: string };

/** Who may log in how: local accounts always, and each directory or OpenID provider once tested. */
export function AuthProvidersPage() {
  const { data, error, reload } = useApi<{ data: AuthConfig[] }>('/v3/authConfigs');
  const [editing, setEditing] = useState<(typeof PROVIDERS)[number] | null>(null);
  const [failure, setFailure] = useState<string>();
  const byId = new Map((data?.data ?? []).map((c) => [c.id, c]));
  return (
    <section>
      <h1>Authentication</h1>
      <p className="muted">Local accounts always work. A provider is enabled only after a successful test.</p>
      {error && <p className="error">{errorMessage(error)}</p>}
      {failure && (
        <p className="error" role="alert">
          {failure}
        </p>
      )}
      <table className="table" aria-label="Authentication providers">
        <thead>
          <tr>
            <th>Provider</th>
            <th>State</th>
            <th>Access</th>
            <th>Actions</th>
          </tr>
        </thead>
        <tbody>
          {PROVIDERS.map((p) => {
            const c = byId.get(p.id);
            return (
              <tr key={p.id}>
                <td>{p.title}</td>
                <td>{c?.enabled ? 'Enabled' : 'Disabled'}</td>
                <td>{c?.accessMode ?? ''}</td>
                <td>
                  <Button className="btn-small" aria-label={`Configure ${p.title}`} onClick={() => setEditing(p)}>
                    Configure
                  </Button>{' '}
                  {c?.enabled && (
                    <Button
                      className="btn-small"
                      variant="danger"
                      aria-label={`Disable ${p.title}`}
                      onClick={() => {
                        setFailure(undefined);
                        api('POST', `/v3/${p.type.plural}/${p.id}?action=disable`, {}).then(reload, (e: unknown) =>
                          setFailure(errorMessage(e)),
                        );
                      }}
                    >
                      Disable
                    </Button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {editing && (
        <ConfigureDialog
          provider={editing}
          onClose={() => {
            setEditing(null);
            reload();
          }}
        />
      )}
    </section>
  );
}

function ConfigureDialog(props: { provider: (typeof PROVIDERS)[number]; onClose: () => void }) {
  const { provider } = props;
  const { data, error } = useApi<Record<string, unknown>>(`/v3/${provider.type.plural}/${provider.id}`);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const names = Object.keys(provider.type.fields);
  return (
    <Dialog title={`Configure ${provider.title}`} onClose={props.onClose} wide>
      {error && <p className="error">{errorMessage(error)}</p>}
      {data && (
        <SchemaForm
          fields={provider.type.fields}
          names={names}
          mode="create"
          initial={data}
          hints={
            provider.kind === 'oidc'
              ? {
                  issuer: `register ${String(data.rancherUrl || `${location.origin}/verify-auth`)} as the redirect URI`,
                }
              : provider.kind === 'saml'
                ? {
                    idpMetadataContent: `then register ${location.origin}/v1-saml/${provider.id}/saml/metadata (Corral's SP metadata) with the IdP`,
                  }
                : undefined
          }
          submitLabel="Test and enable"
          onCancel={props.onClose}
          extraFields={['username', 'password']}
          extra={(errors) =>
            provider.kind === 'directory' ? (
              <fieldset>
                <legend>A directory user to test with</legend>
                <Field
                  label="Test username"
                  name="username"
                  required
                  value={username}
                  error={errors.username}
                  onChange={(e) => setUsername(e.target.value)}
                />
                <Field
                  label="Test password"
                  name="password"
                  type="password"
                  required
                  value={password}
                  error={errors.password}
                  onChange={(e) => setPassword(e.target.value)}
                />
              </fieldset>
            ) : null
          }
          onSubmit={async (body) => {
            const input =
              provider.kind === 'directory'
                ? { ldapConfig: body, username, password }
                : { [INPUT_FIELD[provider.kind]]: body };
            await api('POST', `/v3/${provider.type.plural}/${provider.id}?action=testAndApply`, input);
            props.onClose();
          }}
        />
      )}
    </Dialog>
  );
}
