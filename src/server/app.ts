import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { LeaderElector, Store } from '../store/types.js';
import type { ApiContext, AuthInfo, ServerServices, TypeBehavior } from './api/context.js';
import { v3Router } from './api/router.js';
import type { TypeDef } from '../schema/schema.js';
import { TYPES } from '../schema/types/index.js';
import { AuditLog } from './audit.js';
import { authenticate } from './auth/authenticate.js';
import { CLEAR_SESSION_COOKIES, LocalLogin } from './auth/login.js';
import { principalBehavior } from './auth/principals.js';
import { tokenBehavior } from './auth/tokens.js';
import { userBehavior } from './auth/users.js';
import { rulesAllow } from './authz/policy-rule.js';
import { globalRoleBehavior, globalRoleBindingBehavior, roleTemplateBehavior } from './authz/role-behaviors.js';
import type { UserRules } from './authz/user-rules.js';
import { clusterBehavior } from './clusters/cluster-behavior.js';
import { agentConnectHandler, CONNECT_PATH } from './clusters/connect.js';
import { crtbBehavior } from './clusters/crtb-behavior.js';
import { agentManifest } from './clusters/manifest.js';
import { clusterMemberships } from './clusters/memberships.js';
import { findRegistration, parseManifestName, registrationTokenBehavior } from './clusters/registration.js';
import { readJsonObject } from './http/body.js';
import { ApiError } from './http/errors.js';
import { sendError, sendJson, sendText } from './http/respond.js';
import type { Logger } from './log.js';
import { renderMetrics } from './metrics.js';
import type { ProjectsController } from './projects/controller.js';
import { projectMemberships } from './projects/memberships.js';
import { namespacesApi } from './projects/namespaces.js';
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
  const behaviors: Record<string, TypeBehavior> = {
    user: userBehavior(deps.userRules),
    token: tokenBehavior,
    globalRole: globalRoleBehavior,
    globalRoleBinding: globalRoleBindingBehavior,
    roleTemplate: roleTemplateBehavior,
    setting: settingBehavior,
    principal: principalBehavior,
    cluster: clusterBehavior,
    clusterRegistrationToken: registrationTokenBehavior,
    clusterRoleTemplateBinding: crtbBehavior,
    project: projectBehavior,
    projectRoleTemplateBinding: prtbBehavior,
    projectSecret: projectSecretBehavior,
  };
  const routeV3 = v3Router({ types: TYPES, behaviors });
  const namespaces = namespacesApi((clusterId) => void deps.projects.kick(clusterId));
  const login = new LocalLogin(deps.store, deps.settings);
  const proxy = k8sProxy({
    store: deps.store,
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
    types: TYPES,
    behaviors,
    allowedOrigin: async (req) => new URL(await baseUrlFor(req)).origin,
    apiContext: (req, url, auth) => apiContext(req, url, auth),
  });

  async function baseUrlFor(req: IncomingMessage): Promise<string> {
    const configured = await deps.settings.get('server-url');
    return configured ? configured.replace(/\/$/, '') : `https://${req.headers.host ?? 'localhost'}`;
  }

  async function apiContext(req: IncomingMessage, url: URL, auth: AuthInfo): Promise<ApiContext> {
    // Cluster memberships matter only to cluster types; other requests skip the lookup.
    const clusterScoped = /^\/v3\/(cluster|project)/i.test(url.pathname);
    const none = () => Promise.resolve(new Map<string, Set<string>>());
    const [rules, memberships, projectRoles] = await Promise.all([
      deps.userRules.rulesFor(auth.user.id),
      clusterScoped ? clusterMemberships(deps.store, auth.user.id) : none(),
      clusterScoped ? projectMemberships(deps.store, auth.user.id) : none(),
    ]);
    return {
      query: url.searchParams,
      memberships,
      projectMemberships: projectRoles,
      services: deps.services,
      store: deps.store,
      auth,
      rules,
      baseUrl: await baseUrlFor(req),
      settings: deps.settings,
      remoteAddress: req.socket.remoteAddress ?? '',
      can: (verb: string, schema: TypeDef, id?: string) =>
        rulesAllow(rules, { apiGroup: schema.authz.apiGroup, resource: schema.authz.resource, verb, name: id }),
    };
  }

  async function handle(req: IncomingMessage, res: ServerResponse, url: URL, track: { userId?: string }) {
    const method = req.method ?? 'GET';
    const path = url.pathname;
    if (path === '/healthz' || path === '/ping') return sendText(res, 200, 'ok');
    if (path === '/cacerts') {
      if (!deps.tls.caPem)
        throw new ApiError(
          'NotFound',
          'this server uses a certificate from a public CA; there is no private CA to trust',
        );
      return sendText(res, 200, deps.tls.caPem, 'application/x-pem-file');
    }
    if (path.toLowerCase() === '/v3-public/localproviders/local' && method === 'POST') {
      if (url.searchParams.get('action') !== 'login')
        throw new ApiError('InvalidAction', 'the local provider has only the action "login"');
      const result = await login.login(await readJsonObject(req, 64 * 1024), req.socket.remoteAddress ?? '');
      return sendJson(res, result.status, result.body, result.cookies.length ? { 'set-cookie': result.cookies } : {});
    }
    const manifest = /^\/v3\/import\/([^/]+)$/.exec(path);
    if (manifest && method === 'GET')
      return sendText(res, 200, await importManifest(manifest[1]!, req), 'application/yaml');
    if (isProxyPath(path)) {
      const auth = await proxy.handleRequest(req, res, url);
      track.userId = auth?.user.id;
      return;
    }
    if (path.toLowerCase() === '/v3-public/authproviders' && method === 'GET') {
      return sendJson(res, 200, { type: 'collection', data: [{ id: 'local', type: 'localProvider' }] });
    }
    const settingMatch = /^\/v3\/settings\/([^/]+)$/i.exec(path);
    if (
      settingMatch &&
      method === 'GET' &&
      isPublicSetting(settingMatch[1]!) &&
      !req.headers.authorization &&
      !req.headers.cookie
    ) {
      const obj = await deps.store.get('setting', settingMatch[1]!);
      const ctx = { ...(await publicContext(req)) };
      return sendJson(res, 200, { id: obj.id, type: 'setting', ...settingBehavior.renderExtra!(obj, ctx) });
    }
    if (path === '/v3' || path.startsWith('/v3/')) {
      const auth = await authenticate(deps.store, req);
      track.userId = auth.user.id;
      if (auth.user.spec.mustChangePassword === true && !allowedBeforePasswordChange(method, url)) {
        throw new ApiError(
          'PasswordChangeRequired',
          'change your password first: POST /v3/users?action=changepassword',
        );
      }
      const ctx = await apiContext(req, url, auth);
      if (method === 'POST' && path.toLowerCase() === '/v3/tokens' && url.searchParams.get('action') === 'logout') {
        await deps.store.delete('token', auth.token.id);
        return sendJson(res, 200, {}, { 'set-cookie': CLEAR_SESSION_COOKIES });
      }
      const reply = /^\/v3\/cluster\/[^/]+\/namespaces(\/[^/]+)?$/.test(path)
        ? await namespaces(req, url, ctx)
        : await routeV3(req, url, ctx);
      return sendJson(res, reply.status, reply.body);
    }
    if (path === '/metrics') {
      const auth = await authenticate(deps.store, req);
      track.userId = auth.user.id;
      const rules = await deps.userRules.rulesFor(auth.user.id);
      if (!rulesAllow(rules, { path: '/metrics', verb: 'get' }))
        throw new ApiError('PermissionDenied', 'you may not read metrics');
      return sendText(res, 200, renderMetrics(deps), 'text/plain; version=0.0.4');
    }
    if ((method === 'GET' || method === 'HEAD') && !isApiPath(path)) return ui.serve(req, res, url);
    throw new ApiError('NotFound', `no such path ${path}`);
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
      image: (await deps.settings.get('agent-image')) || `corral/agent:${deps.version}`,
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
    const requestId = randomUUID();
    const track: { userId?: string } = {};
    // Read now: the socket is gone once a client hangs up, and the audit entry still needs it.
    const remoteAddress = req.socket.remoteAddress ?? '';
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'https://corral.invalid');
    } catch {
      sendError(res, new ApiError('InvalidFormat', 'malformed request URL'));
      return;
    }
    handle(req, res, url, track)
      .catch((err: unknown) => {
        const status = sendError(res, err);
        if (status >= 500)
          deps.log.error('request failed', {
            requestId,
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
          requestId,
          userId: track.userId,
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
