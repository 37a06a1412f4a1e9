import { useEffect, useState } from 'react';
import { canI, type AccessQuery } from './k8s';

/**
 * Whether the signed-in user may do something in a cluster, by the cluster's own RBAC
 * (SelfSubjectAccessReview through the proxy, which impersonates them). Undefined while asking:
 * callers show the action only once the answer is yes.
 */
export function useCan(clusterId: string, q: AccessQuery | null): boolean | undefined {
  const key = q ? JSON.stringify([clusterId, q.verb, q.group, q.resource, q.subresource, q.namespace]) : '';
  const [answer, setAnswer] = useState<{ key: string; allowed: boolean } | null>(null);
  useEffect(() => {
    if (!q) return;
    let live = true;
    void canI(clusterId, q).then((allowed) => live && setAnswer({ key, allowed }));
    return () => {
      live = false;
    };
    // key stands for q.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [clusterId, key]);
  return answer?.key === key ? answer.allowed : undefined;
}
