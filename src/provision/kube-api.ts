import { kubeTargetFromKubeconfig } from '../kube/kubeconfig-target.js';
import { upstreamFor, type KubeUpstream } from '../kube/upstream.js';
import { upstreamJson } from '../kube/upstream-client.js';
import { pollUntil } from '../util/poll.js';

/** The provisioned cluster's API as kube-admin, from the admin kubeconfig text. */
export class AdminApi {
  private readonly kube: KubeUpstream;

  constructor(kubeconfig: string) {
    this.kube = upstreamFor(kubeTargetFromKubeconfig(kubeconfig));
  }

  /** Same credentials, another API server (a given control-plane node). */
  static forServer(kubeconfig: string, server: string): AdminApi {
    return new AdminApi(kubeconfig.replace(/server: .*/, `server: ${server}`));
  }

  json<T>(method: string, path: string, body?: unknown, timeoutMs = 10_000): Promise<T> {
    return upstreamJson<T>(this.kube.upstream, method, path, { body, timeoutMs });
  }

  async waitReady(timeoutMs: number, what: string): Promise<void> {
    // /readyz answers text; a namespace list proves the same thing (storage reachable) in JSON.
    await pollUntil(() => this.json('GET', '/api/v1/namespaces?limit=1', undefined, 3000), {
      timeoutMs,
      intervalMs: 500,
      what,
    });
  }

  close(): void {
    this.kube.close();
  }
}
