import type { IncomingHttpHeaders, OutgoingHttpHeaders } from 'node:http';
import { endToEndHeaders } from '../../kube/forward.js';
import type { AuthInfo } from '../api/context.js';

/** Headers a client may never pass to a cluster: credentials and any claim about who it is. */
function isCredentialOrIdentity(name: string): boolean {
  return (
    name === 'authorization' ||
    name === 'cookie' ||
    name === 'x-api-csrf' ||
    name.startsWith('impersonate-') ||
    // Front-proxy identity headers: meaningless here, and dangerous if an API server trusts them.
    name.startsWith('x-remote-')
  );
}

const GROUPS: readonly string[] = Object.freeze(['system:authenticated', 'system:cattle:authenticated']);

/**
 * The user's directory groups (`openldap_group://cn=devs,…`), as their refresh last saw them.
 * A value an HTTP header cannot carry (a DN with characters beyond Latin-1) is left out rather
 * than failing every request; RBAC bound to such a group cannot match anyway.
 */
function directoryGroups(groups: unknown): string[] {
  if (!Array.isArray(groups)) return [];
  return groups.filter((g): g is string => typeof g === 'string' && /^[\x20-\x7e\xa0-\xff]+$/.test(g));
}

/**
 * The headers sent downstream for a user's request: the client's end-to-end headers, minus
 * credentials and identity claims (including any it named in Connection, removed before ours are
 * added), plus impersonation of the authenticated user. The user's Corral token never leaves.
 */
export function downstreamHeaders(incoming: IncomingHttpHeaders, auth: AuthInfo): OutgoingHttpHeaders {
  const out = endToEndHeaders(incoming, isCredentialOrIdentity);
  out['impersonate-user'] = auth.user.id;
  out['impersonate-group'] = [...GROUPS, ...directoryGroups(auth.user.spec.groupPrincipalIds)];
  out['impersonate-extra-principalid'] = String(auth.token.spec.userPrincipal ?? `local://${auth.user.id}`);
  // Directory users have no local username (as in Rancher); their display name stands in.
  out['impersonate-extra-username'] = String(auth.user.spec.username || auth.user.spec.name || auth.user.id);
  out['impersonate-extra-requesttokenid'] = auth.token.id;
  return out;
}
