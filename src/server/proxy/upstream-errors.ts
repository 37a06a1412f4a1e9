import type { OutgoingHttpHeaders } from 'node:http';
import { upstreamJson, UpstreamError } from '../../kube/upstream-client.js';
import type { AuthInfo } from '../api/context.js';
import type { ClusterConnection, ClusterConnections } from '../clusters/connections.js';
import { downstreamHeaders } from './impersonation.js';
import { ApiError } from '../http/errors.js';

/** Kubernetes' own words from an UpstreamError ("GET /x answered 403: <message>" → "<message>"). */
export function kubeMessage(err: unknown): string {
  const text = (err as Error).message ?? String(err);
  const m = /answered \d+: ([\s\S]*)$/.exec(text);
  return m ? m[1]! : text;
}

/**
 * A refusal of the cluster as Rancher's API error: a 403 is the caller's roles in the cluster
 * (the request went as them), a 404 is what they asked for not being there, a 409 a conflict, an
 * invalid object 422 with Kubernetes' explanation; anything else is the cluster not answering.
 */
export function apiErrorFromUpstream(err: unknown, clusterName: string): ApiError {
  if (err instanceof ApiError) return err;
  if (!(err instanceof UpstreamError) || !err.status)
    return new ApiError('ServiceUnavailable', `cluster ${clusterName} did not answer: ${(err as Error).message}`);
  const message = kubeMessage(err);
  switch (err.status) {
    case 403:
      return new ApiError('PermissionDenied', `your roles in cluster ${clusterName} do not allow this: ${message}`);
    case 404:
      return new ApiError('NotFound', message);
    case 409:
      return new ApiError('Conflict', `${message}; read it again and retry`);
    case 400:
    case 422:
      return new ApiError('InvalidValue', `the cluster refused it: ${message}`);
    default:
      return err.status < 500
        ? new ApiError('InvalidValue', `the cluster refused it: ${message}`)
        : new ApiError('ServiceUnavailable', `cluster ${clusterName} failed: ${message}`);
  }
}

/**
 * JSON requests to a cluster AS THE CALLER (impersonated, exactly as through the /k8s proxy),
 * the cluster's refusals turned into Rancher's errors. The workload API and Import YAML use it,
 * so what Kubernetes' RBAC lets the user do is what they can do through Corral.
 */
export function callerClient(conn: ClusterConnection, auth: AuthInfo, clusterName: string) {
  return <T>(method: string, path: string, body?: unknown, headers: OutgoingHttpHeaders = {}) =>
    upstreamJson<T>(conn.upstream, method, path, {
      ...(body === undefined ? {} : { body }),
      headers: { ...downstreamHeaders({}, auth), ...headers },
      timeoutMs: 15_000,
    }).catch((err: unknown) => {
      throw apiErrorFromUpstream(err, clusterName);
    });
}

/** A connected cluster's connection, or a 503 that names it. */
export function connectedOr503(connections: ClusterConnections, clusterId: string, clusterName: string) {
  const conn = connections.get(clusterId);
  if (!conn)
    throw new ApiError(
      'ServiceUnavailable',
      `cluster ${clusterName} is unavailable: it is not connected to this server`,
    );
  return conn;
}
