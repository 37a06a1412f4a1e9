import { useState } from 'react';
import { api, errorMessage } from '../api/http';
import type { Cluster } from '../api/types';
import { downloadText } from '../app/format';
import { Button } from '../components/Button';

/** Downloads a kubeconfig that reaches the cluster through this server, with a new cluster-scoped key. */
export function KubeconfigButton(props: { cluster: Pick<Cluster, 'id' | 'name'>; small?: boolean }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const download = async () => {
    setBusy(true);
    setError(undefined);
    try {
      const out = await api<{ config: string }>(
        'POST',
        `/v3/clusters/${props.cluster.id}?action=generateKubeconfig`,
        {},
      );
      downloadText(`${props.cluster.name}.yaml`, out.config);
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setBusy(false);
    }
  };
  return (
    <>
      <Button
        className={props.small ? 'btn-small' : undefined}
        busy={busy}
        onClick={() => void download()}
        aria-label={`Download kubeconfig for ${props.cluster.name}`}
      >
        Kubeconfig
      </Button>
      {error && (
        <span className="error" role="alert">
          {error}
        </span>
      )}
    </>
  );
}
