import { ApiError } from '../http/errors.js';
import type { SecretBox } from '../secrets/encryption.js';
import type { DirectoryUser } from './ldap.js';
import { providerError, type RedirectFlow } from './oidc.js';

/**
 * GitHub's OAuth web flow, as GitHub documents it (docs.github.com: "Authorizing OAuth apps",
 * REST "users", "orgs", "teams"): github.com, or a GitHub Enterprise Server by host name, whose
 * API is under /api/v3. The person's organizations and teams are their groups
 * (`github_org://<id>`, `github_team://<id>`, Rancher's ids); the first 100 of each are read.
 */
export function githubEndpoints(spec: Record<string, unknown>) {
  const host = String(spec.hostname || 'github.com');
  const web = `${spec.tls === false ? 'http' : 'https'}://${host}`;
  return {
    authorize: `${web}/login/oauth/authorize`,
    token: `${web}/login/oauth/access_token`,
    api: host === 'github.com' ? 'https://api.github.com' : `${web}/api/v3`,
  };
}

const API_HEADERS = {
  accept: 'application/vnd.github+json',
  'x-github-api-version': '2022-11-28',
  'user-agent': 'corral',
};

async function getJson<T>(url: string, token: string): Promise<T> {
  const res = await fetch(url, { headers: { ...API_HEADERS, authorization: `Bearer ${token}` } });
  if (!res.ok) throw new ApiError('BadGateway', `GitHub answered ${res.status} to ${new URL(url).pathname}`);
  return (await res.json()) as T;
}

/** Checks that the host answers as a GitHub API does (GET /meta, which needs no credential). */
export async function checkGithub(spec: Record<string, unknown>): Promise<void> {
  if (!spec.clientId) throw new ApiError('MissingRequired', 'clientId is required', 'clientId');
  const { api } = githubEndpoints(spec);
  let res: Response;
  try {
    res = await fetch(`${api}/meta`, { headers: API_HEADERS, signal: AbortSignal.timeout(10_000) });
  } catch (err) {
    throw providerError(err, api, 'GitHub');
  }
  if (!res.ok)
    throw new ApiError(
      'InvalidValue',
      `${api}/meta answered ${res.status}: is ${String(spec.hostname)} a GitHub host?`,
      'hostname',
    );
}

export function githubFlow(spec: Record<string, unknown>, box: SecretBox): RedirectFlow {
  const endpoints = githubEndpoints(spec);
  const clientId = String(spec.clientId ?? '');
  const sealed = String(spec.clientSecret ?? '');
  return {
    async authorizationUrl(p) {
      const url = new URL(endpoints.authorize);
      url.search = new URLSearchParams({
        client_id: clientId,
        redirect_uri: p.redirectUri,
        // read:org lists private memberships too; without it only public ones show.
        scope: 'read:org',
        state: p.state,
        code_challenge: p.codeChallenge,
        code_challenge_method: 'S256',
      }).toString();
      return url.href;
    },
    async finish(p): Promise<DirectoryUser> {
      const code = p.currentUrl.searchParams.get('code');
      if (!code) throw new ApiError('InvalidAction', 'GitHub sent no code back; start again');
      let token: string;
      try {
        const res = await fetch(endpoints.token, {
          method: 'POST',
          headers: { accept: 'application/json', 'content-type': 'application/x-www-form-urlencoded' },
          body: new URLSearchParams({
            client_id: clientId,
            client_secret: sealed ? box.decrypt(sealed) : '',
            code,
            redirect_uri: p.redirectUri,
            code_verifier: p.verifier,
          }),
        });
        const body = (await res.json()) as { access_token?: string; error?: string; error_description?: string };
        if (!body.access_token)
          throw new ApiError(
            'Unauthorized',
            `GitHub refused the login: ${body.error_description ?? body.error ?? res.status}`,
          );
        token = body.access_token;
      } catch (err) {
        throw providerError(err, endpoints.token, 'GitHub');
      }
      const user = await getJson<{ id: number; login: string; name?: string | null }>(`${endpoints.api}/user`, token);
      const orgs = await getJson<{ id: number; login: string }[]>(`${endpoints.api}/user/orgs?per_page=100`, token);
      const teams = await getJson<{ id: number; slug: string; organization?: { login?: string } }[]>(
        `${endpoints.api}/user/teams?per_page=100`,
        token,
      );
      return {
        dn: String(user.id),
        name: user.name || user.login,
        loginName: user.login,
        groups: [
          ...orgs.map((o) => ({
            dn: String(o.id),
            name: o.login,
            loginName: o.login,
            principalId: `github_org://${o.id}`,
          })),
          ...teams.map((t) => {
            const name = `${t.organization?.login ?? ''}/${t.slug}`;
            return { dn: String(t.id), name, loginName: name, principalId: `github_team://${t.id}` };
          }),
        ],
      };
    },
  };
}
