import { randomUUID } from 'node:crypto';
import { agentImageRef } from '../images/agent-image.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { LeaderElector, Store } from '../store/types.js';
import type { ApiContext, AuthInfo, ServerServices } from './api/context.js';
import { v3Router } from './api/router.js';
import { schemasHeader, schemasReply } from './api/schemas-endpoint.js';
import { isStored, isTopLevel, type TypeDef } from '../schema/schema.js';
import {
  activeDirectoryConfig,
  authConfig,
  githubConfig,
  keyCloakOIDCConfig,
  oidcConfig,
  oktaConfig,
  shibbolethConfig,
  openLdapConfig,
  app as appType,
  appRevision,
  catalog,
  clusterCatalog,
  projectCatalog,
  template,
  templateVersion,
  cluster,
  clusterRegistrationToken,
  clusterRoleTemplateBinding,
  globalRole,
  globalRoleBinding,
  namespace,
  node,
  pod,
  principal,
  project,
  projectRoleTemplateBinding,
  projectSecret,
  roleTemplate,
  setting,
  token,
  user,
  workload,
  notifier,
  clusterAlertGroup,
  clusterAlertRule,
  projectAlertGroup,
  projectAlertRule,
} from '../schema/types/index.js';
import { serve, v3Registry } from './api/registry.js';
import { AuditLog } from './audit.js';
import { authenticate } from './auth/authenticate.js';
import { LocalLogin } from './auth/login.js';
import { authConfigBehavior, directoryConfigBehavior, DirectoryLogin, publicProviders } from './auth/directory.js';
import {
  BROWSER_PROVIDERS,
  DIRECTORY_PROVIDERS,
  isBrowserProvider,
  isSamlProvider,
  readProviderConfig,
  type DirectoryProviderName,
} from './auth/providers.js';
import { samlConfigBehavior, spMetadata } from './auth/saml.js';
import { BrowserLogin, CALLBACK_PATH, githubConfigBehavior, oidcConfigBehavior } from './auth/oidc.js';
import { principalBehavior } from './auth/principals.js';
import { tokenBehavior } from './auth/tokens.js';
import { userBehavior } from './auth/users.js';
import { rulesAllow } from './authz/policy-rule.js';
import { globalRoleBehavior, globalRoleBindingBehavior, roleTemplateBehavior } from './authz/role-behaviors.js';
import type { UserRules } from './authz/user-rules.js';
import { appBehavior, appRevisionBehavior } from './catalog/apps.js';
import {
  catalogBehavior,
  clusterCatalogBehavior,
  projectCatalogBehavior,
  templateBehaviorFor,
} from './catalog/catalog-behavior.js';
import { clusterBehavior } from './clusters/cluster-behavior.js';
import { agentConnectHandler, CONNECT_PATH } from './clusters/connect.js';
import { crtbBehavior } from './clusters/crtb-behavior.js';
import { nodeBehavior } from './clusters/nodes.js';
import { agentManifest } from './clusters/manifest.js';
import type { Memberships } from './clusters/memberships.js';
import { readThrough, type HotObjects, type ObjectReader } from './hot-objects.js';
import { findRegistration, parseManifestName, registrationTokenBehavior } from './clusters/registration.js';
import { readForm, readJsonObject } from './http/body.js';
import {
  clusterAlertGroupBehavior,
  clusterAlertRuleBehavior,
  projectAlertGroupBehavior,
  projectAlertRuleBehavior,
} from './alerts/behavior.js';
import { notifierBehavior } from './notifiers/behavior.js';
import { monitoringApi } from './monitoring/graphs.js';
import { ApiError } from './http/errors.js';
import { sendError } from './http/respond.js';
import { reply, routeTable, type Reply, type Route } from './http/routes.js';
import type { Logger } from './log.js';
import { renderMetrics } from './metrics.js';
import type { ProjectsController } from './projects/controller.js';
import { namespacesApi } from './projects/namespaces.js';
import { projectResourcesApi } from './projects/workloads-api.js';
import { projectBehavior } from './projects/project-behavior.js';
import { prtbBehavior } from './projects/prtb-behavior.js';
import { projectSecretBehavior } from './projects/secret-behavior.js';
import { isProxyPath, k8sProxy } from './proxy/k8s-proxy.js';
import { isPublicSetting, settingBehavior, type Settings } from './settings/behavior.js';
import type { ServingTls } from './tls.js';
import { isApiPath, staticUi } from './ui/static.js';
import { SUBSCRIBE_PATH, subscribeHandler } from './ui/subscribe.js';

export interface AppDeps {
  store: Store;
  projects: ProjectsController;
  services: ServerServices;
  settings: Settings;
  userRules: UserRules;
  memberships: Memberships;
  /** Tokens, users and clusters from memory, exact with the store (see hot-objects.ts). */
  hot: HotObjects;
  tls: ServingTls;
  log: Logger;
  audit: AuditLog;
  leader: LeaderElector;
  version: string;
  /** The built web UI; default ui/dist in the package (or CORRAL_UI_DIR). */
  uiDir?: string;
}

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** What a user who must change their password may still do: read, change it, log out. */
function allowedBeforePasswordChange(method: string, url: URL): boolean {
  if (method === 'GET') return true;
  const action = url.searchParams.get('action');
  return (
    (url.pathname.toLowerCase() === '/v3/users' && action === 'changepassword') ||
    (url.pathname.toLowerCase() === '/v3/tokens' && action === 'logout')
  );
}

export function createApp(deps: AppDeps) {
  // Each type once, with its behaviour; v3Registry checks this covers src/schema/types exactly.
  const registry = v3Registry([
    serve(user, userBehavior(deps.userRules)),
    serve(token, tokenBehavior),
    serve(globalRole, globalRoleBehavior),
    serve(globalRoleBinding, globalRoleBindingBehavior),
    serve(roleTemplate, roleTemplateBehavior),
    serve(setting, settingBehavior),
    serve(principal, principalBehavior),
    serve(authConfig, authConfigBehavior),
    serve(openLdapConfig, directoryConfigBehavior('openldap')),
    serve(activeDirectoryConfig, directoryConfigBehavior('activedirectory')),
    serve(oidcConfig, oidcConfigBehavior('genericoidc')),
    serve(keyCloakOIDCConfig, oidcConfigBehavior('keycloakoidc')),
    serve(githubConfig, githubConfigBehavior),
    serve(shibbolethConfig, samlConfigBehavior('shibboleth')),
    serve(oktaConfig, samlConfigBehavior('okta')),
    serve(cluster, clusterBehavior),
    serve(clusterRegistrationToken, registrationTokenBehavior),
    serve(clusterRoleTemplateBinding, crtbBehavior),
    serve(project, projectBehavior),
    serve(projectRoleTemplateBinding, prtbBehavior),
    serve(projectSecret, projectSecretBehavior),
    // Served by their own routes (namespacesApi, projectResourcesApi); declared for /v3/schemas.
    serve(namespace),
    serve(node, nodeBehavior),
    serve(workload),
    serve(pod),
    serve(catalog, catalogBehavior),
    serve(clusterCatalog, clusterCatalogBehavior),
    serve(projectCatalog, projectCatalogBehavior),
    serve(template, templateBehaviorFor(template)),
    serve(templateVersion, templateBehaviorFor(templateVersion)),
    serve(
      appType,
      appBehavior(
        () => deps.services.templates,
        // Called at request time, once `namespaces` below exists.
        (ctx, clusterId, body) => namespaces.createNamespace(ctx, clusterId, body),
      ),
    ),
    serve(appRevision, appRevisionBehavior),
    serve(notifier, notifierBehavior),
    serve(clusterAlertGroup, clusterAlertGroupBehavior),
    serve(clusterAlertRule, clusterAlertRuleBehavior),
    serve(projectAlertGroup, projectAlertGroupBehavior),
    serve(projectAlertRule, projectAlertRuleBehavior),
  ]);
  const { behaviors } = registry;
  const routeV3 = v3Router(registry);
  const namespaces = namespacesApi((clusterId) => void deps.projects.kick(clusterId));
  const projectResources = projectResourcesApi();
  const login = new LocalLogin(deps.store, deps.settings);
  const directoryLogin = new DirectoryLogin(deps.store, deps.settings, deps.services.secretBox);
  const browserLogin = new BrowserLogin(deps.store, deps.settings, deps.services.secretBox);
  const browserProvider = (name: string) => {
    if (!isBrowserProvider(name))
      throw new ApiError('NotFound', `no browser login "${name}" (${Object.keys(BROWSER_PROVIDERS).join(', ')})`);
    return name;
  };
  const samlProvider = (name: string) => {
    if (!isSamlProvider(name)) throw new ApiError('NotFound', `no SAML provider "${name}" (shibboleth, okta)`);
    return name;
  };
  /** After a browser login: the CLI's page, or the UI with the session cookies. */
  const loggedIn = (done: Awaited<ReturnType<BrowserLogin['callback']>>): Reply =>
    done.cli
      ? {
          status: 200,
          body: 'Logged in. You can close this window and go back to the terminal.\n',
          contentType: 'text/plain; charset=utf-8',
        }
      : reply(302, '', { location: '/', 'set-cookie': done.result.cookies });
  const proxy = k8sProxy({
    hot: deps.hot,
    connections: deps.services.connections,
    log: deps.log,
    allowedOrigin: async (req) => new URL(await baseUrlFor(req)).origin,
  });
  const connect = agentConnectHandler({
    store: deps.store,
    secretBox: deps.services.secretBox,
    connections: deps.services.connections,
    log: deps.log,
  });

  const ui = staticUi({ dir: deps.uiDir });
  const subscribe = subscribeHandler({
    store: deps.store,
    connections: deps.services.connections,
    log: deps.log,
    // Only stored types are watched from the store; the others live downstream.
    types: registry.types.filter((t) => isTopLevel(t) && isStored(t)),
    behaviors,
    allowedOrigin: async (req) => new URL(await baseUrlFor(req)).origin,
    apiContext: (req, url, auth) => apiContext(req, url, auth),
  });

  /** Adds the header Rancher's clients find the API's schemas by (see schemasHeader). */
  async function withSchemas(req: IncomingMessage, url: URL, r: Reply): Promise<Reply> {
    return { ...r, headers: { ...schemasHeader(await baseUrlFor(req), url.pathname), ...r.headers } };
  }

  async function baseUrlFor(req: IncomingMessage): Promise<string> {
    const configured = await deps.settings.get('server-url');
    return configured ? configured.replace(/\/$/, '') : `https://${req.headers.host ?? 'localhost'}`;
  }

  function storeFor(req: IncomingMessage): Store {
    const reader = readers.get(req);
    return req.method === 'GET' && reader ? readThrough(deps.store, reader) : deps.store;
  }

  async function apiContext(req: IncomingMessage, url: URL, auth: AuthInfo): Promise<ApiContext> {
    // Cluster memberships matter only to cluster types; other requests skip the lookup.
    const clusterScoped = /^\/v3\/(cluster|project|nodes|app|template|notifier)/i.test(url.pathname);
    const none = () => Promise.resolve(new Map<string, Set<string>>());
    const [rules, memberships, projectRoles] = await Promise.all([
      deps.userRules.rulesFor(auth.user.id),
      clusterScoped ? deps.memberships.cluster(auth.user.id) : none(),
      clusterScoped ? deps.memberships.project(auth.user.id) : none(),
    ]);
    return {
      query: url.searchParams,
      memberships,
      projectMemberships: projectRoles,
      services: deps.services,
      store: storeFor(req),
      auth,
      rules,
      baseUrl: await baseUrlFor(req),
      settings: deps.settings,
      remoteAddress: req.socket.remoteAddress ?? '',
      can: (verb: string, schema: TypeDef, id?: string) =>
        rulesAllow(rules, { apiGroup: schema.authz.apiGroup, resource: schema.authz.resource, verb, name: id }),
    };
  }

  /** The authentication hook of every `user` route: who is calling, and may they do this yet? */
  async function authenticateUser(req: IncomingMessage, url: URL): Promise<AuthInfo> {
    const reader = await deps.hot.reader();
    const auth = await authenticate(reader, req);
    readers.set(req, reader);
    tracked.set(req, auth.user.id);
    if (auth.user.spec.mustChangePassword === true && !allowedBeforePasswordChange(req.method ?? 'GET', url)) {
      throw new ApiError('PasswordChangeRequired', 'change your password first: POST /v3/users?action=changepassword');
    }
    return auth;
  }

  /** Each request's consistent reader, reused by a GET's own reads of tokens, users and clusters. */
  const readers = new WeakMap<IncomingMessage, ObjectReader>();
  /** Who made each request, once authenticated, for the audit log. */
  const tracked = new WeakMap<IncomingMessage, string>();
  const GET = ['GET'];
  const dispatch = routeTable<AuthInfo>(
    [
      { path: '/healthz', auth: 'public', handle: () => ({ status: 200, body: 'ok' }) },
      { path: '/ping', auth: 'public', handle: () => ({ status: 200, body: 'ok' }) },
      {
        path: '/cacerts',
        auth: 'public',
        handle: () => {
          if (!deps.tls.caPem)
            throw new ApiError(
              'NotFound',
              'this server uses a certificate from a public CA; there is no private CA to trust',
            );
          return { status: 200, body: deps.tls.caPem, contentType: 'application/x-pem-file' };
        },
      },
      {
        methods: ['POST'],
        path: '/v3-public/localProviders/local',
        ignoreCase: true,
        auth: 'public',
        handle: async ({ req, url }) => {
          if (url.searchParams.get('action') !== 'login')
            throw new ApiError('InvalidAction', 'the local provider has only the action "login"');
          const result = await login.login(await readJsonObject(req, 64 * 1024), req.socket.remoteAddress ?? '');
          return reply(result.status, result.body, result.cookies.length ? { 'set-cookie': result.cookies } : {});
        },
      },
      {
        methods: GET,
        path: '/v3-public/authProviders',
        ignoreCase: true,
        auth: 'public',
        handle: async () => reply(200, { type: 'collection', data: await publicProviders(deps.store) }),
      },
      // Rancher's directory logins: /v3-public/openLdapProviders/openldap?action=login and the AD one.
      ...(Object.keys(DIRECTORY_PROVIDERS) as DirectoryProviderName[]).map((name): Route<AuthInfo> => ({
        methods: ['POST'],
        path: `/v3-public/${DIRECTORY_PROVIDERS[name].publicPlural}/${name}`,
        ignoreCase: true,
        auth: 'public',
        handle: async ({ req, url }) => {
          if (url.searchParams.get('action') !== 'login')
            throw new ApiError('InvalidAction', `the ${name} provider has only the action "login"`);
          const input = await readJsonObject(req, 64 * 1024);
          const result = await directoryLogin.login(name, input, req.socket.remoteAddress ?? '');
          return reply(result.status, result.body, result.cookies.length ? { 'set-cookie': result.cookies } : {});
        },
      })),
      // OpenID Connect, GitHub and SAML: the login page's button (or the CLI's printed URL) starts here and goes
      // on to the provider; the provider sends the browser back to /verify-auth.
      {
        methods: GET,
        path: '/v3-public/browserLogin/:provider',
        ignoreCase: true,
        auth: 'public',
        handle: async ({ req, url, params }) => {
          const provider = browserProvider(params.provider!);
          const requestId = url.searchParams.get('request');
          if (requestId) {
            // A CLI's login URL: first a page that says so, so a link sent by someone else is not
            // followed blindly (see cliConfirmation).
            const step = browserLogin.cliConfirmation(provider, requestId, url, req.headers.cookie);
            if (step.page)
              return {
                status: 200,
                body: step.page,
                contentType: 'text/html; charset=utf-8',
                headers: { 'set-cookie': [step.cookie], 'content-security-policy': "default-src 'none'" },
              };
            await browserLogin.checkRequest(requestId);
            const resumed = await browserLogin.resume(requestId);
            return reply(302, '', { location: resumed.authorizationUrl, 'set-cookie': [resumed.cookie] });
          }
          const started = await browserLogin.start(provider, await baseUrlFor(req));
          return reply(302, '', { location: started.authorizationUrl, 'set-cookie': [started.cookie] });
        },
      },
      {
        methods: ['POST'],
        path: '/v3-public/browserLogin/:provider',
        ignoreCase: true,
        auth: 'public',
        handle: async ({ req, url, params }) => {
          const provider = browserProvider(params.provider!);
          const action = url.searchParams.get('action');
          if (action === 'cliStart') {
            const started = await browserLogin.start(provider, await baseUrlFor(req), { cli: true });
            return reply(201, {
              requestId: started.requestId,
              pollSecret: started.pollSecret,
              loginUrl: started.loginUrl,
            });
          }
          if (action === 'cliPoll') {
            const body = await readJsonObject(req, 4096);
            const r = await browserLogin.poll(String(body.requestId ?? ''), String(body.pollSecret ?? ''));
            return r.done ? reply(200, { token: r.token }) : reply(202, { state: 'pending' });
          }
          throw new ApiError('InvalidAction', 'the actions here are cliStart and cliPoll');
        },
      },
      {
        methods: GET,
        path: CALLBACK_PATH,
        auth: 'public',
        handle: async ({ req, url }) => {
          return loggedIn(await browserLogin.callback(url, req.headers.cookie, await baseUrlFor(req)));
        },
      },
      // SAML (Rancher's paths): the SP metadata an IdP registers Corral with, and the ACS its
      // browser form posts the signed response to.
      {
        methods: GET,
        path: '/v1-saml/:provider/saml/metadata',
        auth: 'public',
        handle: async ({ req, params }) => {
          const provider = samlProvider(params.provider!);
          const config = await readProviderConfig(deps.store, provider);
          return {
            status: 200,
            body: spMetadata(provider, config.spec, deps.services.secretBox, await baseUrlFor(req)),
            contentType: 'application/samlmetadata+xml',
          };
        },
      },
      {
        methods: ['POST'],
        path: '/v1-saml/:provider/saml/acs',
        auth: 'public',
        handle: async ({ req, url, params }) => {
          const provider = samlProvider(params.provider!);
          const form = await readForm(req, 512 * 1024);
          if (!form.SAMLResponse || !form.RelayState)
            throw new ApiError(
              'InvalidBodyContent',
              'post SAMLResponse and RelayState here, as the identity provider’s form does; start the login again',
            );
          return loggedIn(
            await browserLogin.callback(url, req.headers.cookie, await baseUrlFor(req), { provider, form }),
          );
        },
      },
      {
        methods: GET,
        path: '/v3/import/:name',
        auth: 'public',
        handle: async ({ req, params }) => ({
          status: 200,
          body: await importManifest(params.name!, req),
          contentType: 'application/yaml',
        }),
      },
      // The proxy authenticates itself: it also takes tokens scoped to its cluster.
      { path: '/k8s/clusters/*', auth: 'self', handle: ({ req, res, url }) => proxyRequest(req, res, url) },
      {
        methods: GET,
        path: '/v3/settings/:name',
        ignoreCase: true,
        when: (req, _url, params) =>
          isPublicSetting(params.name ?? '') && !req.headers.authorization && !req.headers.cookie,
        auth: 'public',
        handle: async ({ req, params }) => {
          const obj = await deps.store.get('setting', params.name!);
          const ctx = { ...(await publicContext(req)) };
          return reply(200, { id: obj.id, type: 'setting', ...settingBehavior.renderExtra!(obj, ctx) });
        },
      },
      // Cluster-scoped types: Rancher's /v3/clusters/<id>/<type>, and the older /v3/cluster/<id>/<type>.
      ...['/v3/clusters/:clusterId/namespaces/:name?', '/v3/cluster/:clusterId/namespaces/:name?'].map(
        (path): Route<AuthInfo> => ({
          path,
          ignoreCase: true,
          auth: 'user',
          handle: async ({ req, url, params, auth }) =>
            withSchemas(
              req,
              url,
              await namespaces(req, url, await apiContext(req, url, auth), params.clusterId!, params.name),
            ),
        }),
      ),
      // Each cluster and project is an API of its own for Rancher's clients, with its own schemas.
      ...(['clusters', 'projects'] as const).map((scope): Route<AuthInfo> => ({
        methods: GET,
        path: `/v3/${scope}/:scopeId/schemas/:id?`,
        ignoreCase: true,
        auth: 'user',
        handle: async ({ req, url, params }) => {
          const base = await baseUrlFor(req);
          const types = registry.types.filter((t) => t.scope === (scope === 'clusters' ? 'cluster' : 'project'));
          const api = `${base}/v3/${scope}/${params.scopeId!}`;
          return withSchemas(req, url, reply(200, schemasReply(types, base, api, params.id)));
        },
      })),
      // Graphs of a cluster or a project (the project's namespaces injected server-side).
      ...(['clusters', 'projects'] as const).map((scope): Route<AuthInfo> => ({
        path: `/v3/${scope}/:scopeId/monitoring/:what?`,
        ignoreCase: true,
        auth: 'user',
        handle: async ({ req, url, params, auth }) =>
          monitoringApi(
            deps.services.monitoring,
            req,
            url,
            await apiContext(req, url, auth),
            scope === 'clusters' ? { clusterId: params.scopeId! } : { projectId: params.scopeId! },
            params.what,
          ),
      })),
      {
        // Rancher's project-scoped paths for apps: the same stored collection, narrowed to the project.
        path: '/v3/projects/:projectId/:plural/:id?',
        ignoreCase: true,
        when: (_req, url) => /^\/v3\/projects\/[^/]+\/(apps|appRevisions)(\/|$)/i.test(url.pathname),
        auth: 'user',
        handle: async ({ req, url, params, auth }) => {
          const inner = new URL(url);
          inner.pathname = `/v3/${params.plural!}${params.id ? `/${encodeURIComponent(params.id)}` : ''}`;
          if (!params.id && req.method === 'GET') inner.searchParams.set('projectId', params.projectId!);
          const ctx = await apiContext(req, inner, auth);
          if (params.id) {
            const type = params.plural!.toLowerCase() === 'apps' ? 'app' : 'appRevision';
            const obj = await deps.store.get(type, params.id).catch(() => undefined);
            if (obj && obj.spec.projectId !== params.projectId)
              throw new ApiError('NotFound', `${params.plural!} ${params.id} is not in project ${params.projectId!}`);
          }
          return withSchemas(req, inner, await routeV3(req, inner, ctx));
        },
      },
      {
        // Workloads and pods of a project, and a workload's sub-collection (…/workloads/<id>/revisions).
        path: '/v3/projects/:projectId/:plural/:id?/:sub?',
        ignoreCase: true,
        when: (_req, url) => /^\/v3\/projects\/[^/]+\/(workloads(\/[^/]+){0,2}|pods(\/[^/]+)?)\/?$/i.test(url.pathname),
        auth: 'user',
        handle: async ({ req, url, params, auth }) =>
          withSchemas(
            req,
            url,
            await projectResources(
              req,
              url,
              await apiContext(req, url, auth),
              params.projectId!,
              params.plural!,
              params.id,
              params.sub,
            ),
          ),
      },
      ...['/v3', '/v3/*'].map((path): Route<AuthInfo> => ({
        path,
        auth: 'user',
        handle: async ({ req, url, auth }) =>
          withSchemas(req, url, await routeV3(req, url, await apiContext(req, url, auth))),
      })),
      // Rancher's Kubernetes-style API: its CLI opens the root (and needs its schemas header) even
      // when it uses nothing under it; Corral serves no types there.
      {
        methods: GET,
        path: '/v1/:what?',
        ignoreCase: true,
        when: (_req, url) => /^\/v1(\/schemas)?\/?$/i.test(url.pathname),
        auth: 'user',
        handle: async ({ req, url }) => {
          const base = await baseUrlFor(req);
          const body = url.pathname.toLowerCase().startsWith('/v1/schemas')
            ? { type: 'collection', resourceType: 'schema', links: { self: `${base}/v1/schemas` }, data: [] }
            : { type: 'apiRoot', id: 'v1', links: { self: `${base}/v1`, schemas: `${base}/v1/schemas` } };
          return withSchemas(req, url, reply(200, body));
        },
      },
      {
        methods: GET,
        path: '/metrics',
        auth: 'user',
        handle: async ({ auth }) => {
          const rules = await deps.userRules.rulesFor(auth.user.id);
          if (!rulesAllow(rules, { path: '/metrics', verb: 'get' }))
            throw new ApiError('PermissionDenied', 'you may not read metrics');
          return { status: 200, body: renderMetrics(deps), contentType: 'text/plain; version=0.0.4' };
        },
      },
      // Everything else that is not an API path is the web UI's (its client-side routes included).
      {
        path: '/*',
        when: (req, url) => (req.method === 'GET' || req.method === 'HEAD') && !isApiPath(url.pathname),
        auth: 'public',
        handle: ({ req, res, url }) => ui.serve(req, res, url),
      },
    ],
    authenticateUser,
  );

  async function proxyRequest(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const auth = await proxy.handleRequest(req, res, url);
    if (auth) tracked.set(req, auth.user.id);
  }

  /** The agent manifest, served without login: the token in its name is the credential. */
  async function importManifest(name: string, req: IncomingMessage): Promise<string> {
    const parsed = parseManifestName(name);
    const registration =
      parsed && (await findRegistration(deps.store, deps.services.secretBox, parsed.clusterId, parsed.token));
    if (!parsed || !registration)
      throw new ApiError('NotFound', 'no such import manifest (the token may have been regenerated)');
    return agentManifest({
      serverUrl: await baseUrlFor(req),
      clusterId: parsed.clusterId,
      token: parsed.token,
      caChecksum: deps.tls.caChecksum,
      image: (await deps.settings.get('agent-image')) || agentImageRef(deps.version),
    });
  }

  async function publicContext(req: IncomingMessage): Promise<ApiContext> {
    return { baseUrl: await baseUrlFor(req) } as ApiContext;
  }

  function onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => socket.destroy());
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'https://corral.invalid');
    } catch {
      socket.destroy();
      return;
    }
    if (url.pathname === CONNECT_PATH) connect.handleUpgrade(req, socket, head);
    else if (url.pathname === SUBSCRIBE_PATH) subscribe.handleUpgrade(req, socket, head);
    else if (isProxyPath(url.pathname)) proxy.handleUpgrade(req, socket, head, url);
    else socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
  }

  function listener(req: IncomingMessage, res: ServerResponse): void {
    const started = performance.now();
    // Only failures and writes name their request: a proxied GET does not pay for an id.
    let id: string | undefined;
    const requestId = () => (id ??= randomUUID());
    // Read now: the socket is gone once a client hangs up, and the audit entry still needs it.
    const remoteAddress = req.socket.remoteAddress ?? '';
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'https://corral.invalid');
    } catch {
      sendError(res, new ApiError('InvalidFormat', 'malformed request URL'));
      return;
    }
    dispatch(req, res, url)
      .catch((err: unknown) => {
        const status = sendError(res, err);
        if (status >= 500)
          deps.log.error('request failed', {
            requestId: requestId(),
            path: url.pathname,
            error: String((err as Error)?.stack ?? err),
          });
      })
      .finally(() => {
        const method = req.method ?? 'GET';
        if (!WRITE_METHODS.has(method)) return;
        // The entry is written whatever happened to the request; a failure here must not take the server down.
        deps.audit.record({
          time: new Date().toISOString(),
          requestId: requestId(),
          userId: tracked.get(req),
          method,
          ...AuditLog.describePath(url),
          status: res.statusCode,
          remoteAddress,
          durationMs: Math.round(performance.now() - started),
        });
      });
  }

  return {
    listener,
    onUpgrade,
    close: () => {
      connect.close();
      subscribe.close();
    },
  };
}
