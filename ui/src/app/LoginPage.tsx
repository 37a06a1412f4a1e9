import { useEffect, useState, type FormEvent } from 'react';
import { api, errorMessage } from '../api/http';
import { Button } from '../components/Button';
import { Field } from '../components/Field';
import { useSessionState } from './session';

/** How each provider is offered: with this form's username and password, or through a browser redirect. */
const PROVIDER_NAMES: Record<string, { title: string; redirect?: boolean }> = {
  local: { title: 'Local account' },
  openldap: { title: 'OpenLDAP' },
  activedirectory: { title: 'Active Directory' },
  genericoidc: { title: 'OpenID Connect', redirect: true },
  keycloakoidc: { title: 'Keycloak', redirect: true },
  github: { title: 'GitHub', redirect: true },
  shibboleth: { title: 'Shibboleth (SAML)', redirect: true },
  okta: { title: 'Okta (SAML)', redirect: true },
};

export function LoginPage() {
  const { logIn } = useSessionState();
  const [providers, setProviders] = useState<string[]>(['local']);
  const [provider, setProvider] = useState('local');
  useEffect(() => {
    api<{ data: { id: string }[] }>('GET', '/v3-public/authProviders').then(
      (r) => setProviders(r.data.map((p) => p.id).filter((id) => PROVIDER_NAMES[id])),
      () => undefined,
    );
  }, []);
  const withPassword = providers.filter((p) => !PROVIDER_NAMES[p]!.redirect);
  const redirects = providers.filter((p) => PROVIDER_NAMES[p]!.redirect);
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState<string>();
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    try {
      await logIn(username, password, provider);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <main className="auth-page">
      <form className="auth-card" onSubmit={(e) => void submit(e)} aria-labelledby="login-title">
        <h1 id="login-title">
          <span className="brand-mark" aria-hidden="true">
            ◆
          </span>{' '}
          Corral
        </h1>
        <p className="muted">
          {withPassword.length > 1 ? 'Sign in with your account.' : 'Sign in with your local account.'}
        </p>
        {withPassword.length > 1 && (
          <div className="field">
            <label htmlFor="login-provider">Account</label>
            <select id="login-provider" value={provider} onChange={(e) => setProvider(e.target.value)}>
              {withPassword.map((p) => (
                <option key={p} value={p}>
                  {PROVIDER_NAMES[p]!.title}
                </option>
              ))}
            </select>
          </div>
        )}
        <Field
          label="Username"
          name="username"
          autoComplete="username"
          autoFocus
          required
          value={username}
          onChange={(e) => setUsername(e.target.value)}
        />
        <Field
          label="Password"
          name="password"
          type="password"
          autoComplete="current-password"
          required
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        {error && (
          <p className="error" role="alert">
            {error}
          </p>
        )}
        <Button type="submit" variant="primary" busy={busy}>
          Log in
        </Button>
        {redirects.map((p) => (
          // A plain link: the server sends the browser on to the provider and back.
          <a key={p} className="btn" href={`/v3-public/browserLogin/${p}`}>
            Log in with {PROVIDER_NAMES[p]!.title}
          </a>
        ))}
      </form>
    </main>
  );
}
