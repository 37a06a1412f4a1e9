import { kubeTargetFromKubeconfig } from '../kube/kubeconfig-target.js';
import { upstreamFor, type KubeUpstream } from '../kube/upstream.js';
import { upstreamJson } from '../kube/upstream-client.js';
import { send } from '../kube/forward.js';
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

  /** A plain-text GET (health endpoints); rejects unless it answers 200. */
  text(path: string, timeoutMs = 5000): Promise<string> {
    return new Promise((resolve, reject) => {
      const req = send(this.kube.upstream, 'GET', path, { accept: 'text/plain' });
      const timer = setTimeout(
        () => req.destroy(new Error(`GET ${path}: no answer within ${timeoutMs} ms`)),
        timeoutMs,
      );
      req.on('response', (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => {
          clearTimeout(timer);
          if (res.statusCode === 200) resolve(body);
          else reject(new Error(`GET ${path} answered ${res.statusCode}: ${body.slice(-300)}`));
        });
        res.on('error', reject);
      });
      req.on('error', (err) => {
        clearTimeout(timer);
        reject(err);
      });
      req.end();
    });
  }

  /** Until /readyz says ok: storage reachable and the bootstrap hooks (RBAC roles, priority classes) done. */
  async waitReady(timeoutMs: number, what: string): Promise<void> {
    await pollUntil(() => this.text('/readyz', 3000), {
      timeoutMs,
      intervalMs: 500,
      what,
    });
  }

  close(): void {
    this.kube.close();
  }
}
