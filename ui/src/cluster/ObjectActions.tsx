/**
 * What can be done to one object besides editing it: scale, redeploy, delete. Each is shown only
 * when the cluster's RBAC says the user may do it.
 */
import { useId, useState } from 'react';
import { api, errorMessage } from '../api/http';
import { Link, navigate } from '../app/router';
import { Button } from '../components/Button';
import { ConfirmDialog } from '../components/Dialog';
import type { KubeObject } from './k8s';
import { WORKLOAD_TYPES, type KindDef } from './kinds';
import { useCan } from './useCan';

export const RESTARTED_AT = 'corral.io/restartedAt';
const MERGE_PATCH = { 'content-type': 'application/merge-patch+json' };

export interface ObjectAccess {
  update?: boolean;
  delete?: boolean;
  patch?: boolean;
  scale?: boolean;
  /** Every question that applies to this kind has been answered. */
  resolved: boolean;
}

/** What the user may do to one object, asked of the cluster (cached per cluster, resource and namespace). */
export function useObjectAccess(clusterId: string, kind: KindDef, namespace: string | undefined): ObjectAccess {
  const target = { group: kind.apiGroup, resource: kind.resource, ...(namespace ? { namespace } : {}) };
  const update = useCan(clusterId, { verb: 'update', ...target });
  const del = useCan(clusterId, { verb: 'delete', ...target });
  const patch = useCan(clusterId, kind.redeployable ? { verb: 'patch', ...target } : null);
  const scale = useCan(clusterId, kind.scalable ? { verb: 'patch', subresource: 'scale', ...target } : null);
  const resolved =
    update !== undefined &&
    del !== undefined &&
    (!kind.redeployable || patch !== undefined) &&
    (!kind.scalable || scale !== undefined);
  return { update, delete: del, patch, scale, resolved };
}

export function ObjectActions(props: {
  kind: KindDef;
  obj: KubeObject;
  url: string;
  listRoute: string;
  access: ObjectAccess;
}) {
  const { kind, obj, url, access } = props;
  const mayScale = access.scale;
  const mayPatch = access.patch;
  const mayDelete = access.delete;
  const [confirm, setConfirm] = useState<'redeploy' | 'delete' | 'drain' | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [note, setNote] = useState<string>();

  const run = async (what: () => Promise<unknown>, done: string) => {
    setBusy(true);
    setError(undefined);
    try {
      await what();
      setNote(done);
      setConfirm(null);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };

  const redeploy = () =>
    run(
      () =>
        api(
          'PATCH',
          url,
          { spec: { template: { metadata: { annotations: { [RESTARTED_AT]: new Date().toISOString() } } } } },
          {
            headers: MERGE_PATCH,
          },
        ),
      `Redeploy of ${obj.metadata.name} started.`,
    );

  // Nodes: cordon marks a node unschedulable; drain also evicts its pods (the eviction API
  // honours PodDisruptionBudgets), leaving DaemonSet pods and static (mirror) pods, as kubectl does.
  const cordon = (on: boolean) => api('PATCH', url, { spec: { unschedulable: on } }, { headers: MERGE_PATCH });
  const drain = () =>
    run(async () => {
      await cordon(true);
      const base = url.slice(0, url.indexOf('/api/v1/nodes/'));
      const pods = await api<{ items: KubeObject[] }>(
        'GET',
        `${base}/api/v1/pods?fieldSelector=${encodeURIComponent(`spec.nodeName=${obj.metadata.name}`)}`,
      );
      const evictable = pods.items.filter(
        (p) =>
          !p.metadata.annotations?.['kubernetes.io/config.mirror'] &&
          !(p.metadata.ownerReferences ?? []).some((o) => o.kind === 'DaemonSet') &&
          !['Succeeded', 'Failed'].includes(String(p.status?.phase)),
      );
      for (const p of evictable)
        await api(
          'POST',
          `${base}/api/v1/namespaces/${encodeURIComponent(p.metadata.namespace ?? '')}/pods/${encodeURIComponent(p.metadata.name)}/eviction`,
          {
            apiVersion: 'policy/v1',
            kind: 'Eviction',
            metadata: { name: p.metadata.name, namespace: p.metadata.namespace },
          },
        );
      return evictable.length;
    }, `Drained ${obj.metadata.name}: cordoned, its pods evicted.`);

  const remove = async () => {
    setBusy(true);
    try {
      await api('DELETE', url);
      setConfirm(null);
      navigate(props.listRoute);
    } catch (err) {
      setError(errorMessage(err));
      setBusy(false);
    }
  };

  return (
    <div className="object-actions" aria-busy={!access.resolved} data-access={access.resolved ? 'resolved' : 'pending'}>
      {kind.scalable && mayScale && (
        <ScaleControl
          key={String(obj.spec?.replicas ?? 1)}
          current={Number(obj.spec?.replicas ?? 1)}
          busy={busy}
          onScale={(n) =>
            run(
              () => api('PATCH', `${url}/scale`, { spec: { replicas: n } }, { headers: MERGE_PATCH }),
              `Scaled to ${n}.`,
            )
          }
        />
      )}
      {kind.redeployable && mayPatch && <Button onClick={() => setConfirm('redeploy')}>Redeploy</Button>}
      {kind.id === 'nodes' && access.update && (
        <>
          {obj.spec?.unschedulable ? (
            <Button busy={busy} onClick={() => void run(() => cordon(false), `Uncordoned ${obj.metadata.name}.`)}>
              Uncordon
            </Button>
          ) : (
            <Button busy={busy} onClick={() => void run(() => cordon(true), `Cordoned ${obj.metadata.name}.`)}>
              Cordon
            </Button>
          )}
          <Button onClick={() => setConfirm('drain')}>Drain</Button>
        </>
      )}
      {WORKLOAD_TYPES[kind.id] && access.update && (
        <Link
          className="btn"
          to={`${props.listRoute.split('?')[0]}/${encodeURIComponent(obj.metadata.namespace ?? '')}/${encodeURIComponent(obj.metadata.name)}/edit`}
        >
          Edit
        </Link>
      )}
      {mayDelete && (
        <Button variant="danger" onClick={() => setConfirm('delete')}>
          Delete
        </Button>
      )}
      {note && (
        <span className="ok-text" role="status">
          {note}
        </span>
      )}
      {error && !confirm && (
        <span className="error" role="alert">
          {error}
        </span>
      )}
      {confirm === 'redeploy' && (
        <ConfirmDialog
          title={`Redeploy ${obj.metadata.name}`}
          message={<p>Every pod of this {kind.singular} is replaced, following its update strategy.</p>}
          confirmLabel="Redeploy"
          busy={busy}
          error={error}
          onClose={() => setConfirm(null)}
          onConfirm={() => void redeploy()}
        />
      )}
      {confirm === 'drain' && (
        <ConfirmDialog
          title={`Drain node ${obj.metadata.name}`}
          message={
            <p>
              The node is cordoned (no new pods) and its pods are evicted to run elsewhere, as their disruption budgets
              allow. DaemonSet and static pods stay.
            </p>
          }
          confirmLabel="Drain"
          busy={busy}
          error={error}
          onClose={() => setConfirm(null)}
          onConfirm={() => void drain()}
        />
      )}
      {confirm === 'delete' && (
        <ConfirmDialog
          title={`Delete ${kind.singular} ${obj.metadata.name}`}
          message={<p>This deletes {obj.metadata.name} from the cluster.</p>}
          confirmLabel="Delete"
          busy={busy}
          error={error}
          onClose={() => setConfirm(null)}
          onConfirm={() => void remove()}
        />
      )}
    </div>
  );
}

function ScaleControl(props: { current: number; busy: boolean; onScale(n: number): void }) {
  const [value, setValue] = useState(String(props.current));
  const id = useId();
  const n = Number(value);
  const valid = value.trim() !== '' && Number.isInteger(n) && n >= 0;
  return (
    <form
      className="scale-control"
      onSubmit={(e) => {
        e.preventDefault();
        if (valid) props.onScale(n);
      }}
    >
      <label htmlFor={id}>Replicas</label>
      <input
        id={id}
        type="number"
        min={0}
        step={1}
        value={value}
        aria-invalid={valid ? undefined : true}
        onChange={(e) => setValue(e.target.value)}
      />
      <Button type="submit" busy={props.busy} disabled={!valid || n === props.current}>
        Scale
      </Button>
    </form>
  );
}
