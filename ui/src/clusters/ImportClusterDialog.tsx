import { useState } from 'react';
import { api } from '../api/http';
import type { Cluster, ClusterRegistrationToken, V3Collection } from '../api/types';
import { Button } from '../components/Button';
import { CopyField } from '../components/CopyButton';
import { Dialog } from '../components/Dialog';
import { Field } from '../components/Field';
import { StateBadge } from '../components/StateBadge';
import { clusterReason } from './clusterStatus';
import { FormFooter } from '../components/FormFooter';
import { useFormSubmit } from '../api/useFormSubmit';

/**
 * Import: create the cluster, then show the command that installs the agent. The state shown
 * comes from the live cluster list, so it turns active by itself when the agent connects.
 */
export function ImportClusterDialog(props: { clusters: Cluster[]; onClose: () => void }) {
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [created, setCreated] = useState<{ cluster: Cluster; token: ClusterRegistrationToken }>();
  const { errors, busy, submit } = useFormSubmit(async () => {
    const cluster = await api<Cluster>('POST', '/v3/clusters', { name, description });
    const tokens = await api<V3Collection<ClusterRegistrationToken>>(
      'GET',
      `/v3/clusterRegistrationTokens?clusterId=${encodeURIComponent(cluster.id)}`,
    );
    const token = tokens.data[0];
    if (!token) throw new Error(`the server made no registration token for ${cluster.id}`);
    setCreated({ cluster, token });
  });

  if (created) {
    const live = props.clusters.find((c) => c.id === created.cluster.id) ?? created.cluster;
    return (
      <Dialog title={`Import ${created.cluster.name}`} onClose={props.onClose} wide>
        <p>Run this with a kubeconfig that is cluster-admin of the cluster to import:</p>
        <CopyField label="kubectl command" value={created.token.command} testId="import-command" />
        <p className="muted">If this server's certificate is not trusted by the machine running kubectl:</p>
        <CopyField
          label="insecure command (skips TLS verification)"
          value={created.token.insecureCommand}
          testId="import-insecure-command"
        />
        <p className="import-state" aria-live="polite">
          Cluster state: <StateBadge state={live.state} />{' '}
          <span className="muted">{live.state === 'active' ? 'the agent is connected' : clusterReason(live)}</span>
        </p>
        <div className="form-actions">
          <Button variant="primary" onClick={props.onClose}>
            Done
          </Button>
        </div>
      </Dialog>
    );
  }

  return (
    <Dialog title="Import an existing cluster" onClose={props.onClose}>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <Field
          label="Cluster name"
          name="name"
          required
          autoFocus
          value={name}
          error={errors.name}
          hint="lower-case letters, digits and -"
          onChange={(e) => setName(e.target.value)}
        />
        <Field
          label="Description"
          name="description"
          value={description}
          error={errors.description}
          onChange={(e) => setDescription(e.target.value)}
        />
        <FormFooter
          error={errors.form}
          submitLabel="Create and show the command"
          busy={busy}
          onCancel={props.onClose}
        />
      </form>
    </Dialog>
  );
}
