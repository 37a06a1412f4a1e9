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
 * The headers sent downstream for a user's request: the client's end-to-end headers, minus
 * credentials and identity claims (including any it named in Connection, removed before ours are
 * added), plus impersonation of the authenticated user. The user's Corral token never leaves.
 */
export function downstreamHeaders(incoming: IncomingHttpHeaders, auth: AuthInfo): OutgoingHttpHeaders {
  const out = endToEndHeaders(incoming, isCredentialOrIdentity);
  out['impersonate-user'] = auth.user.id;
  out['impersonate-group'] = GROUPS as string[];
  out['impersonate-extra-principalid'] = `local://${auth.user.id}`;
  out['impersonate-extra-username'] = String(auth.user.spec.username);
  out['impersonate-extra-requesttokenid'] = auth.token.id;
  return out;
}
