import { useState, type ChangeEvent } from 'react';
import { api } from '../api/http';
import { useFormSubmit } from '../api/useFormSubmit';
import { Dialog } from '../components/Dialog';
import { Field, TextAreaField } from '../components/Field';
import { FormFooter } from '../components/FormFooter';

/** A cluster the server reaches itself: its kubeconfig is stored encrypted, no agent runs. */
export function RegisterClusterDialog(props: { onClose: () => void }) {
  const [name, setName] = useState('');
  const [kubeConfig, setKubeConfig] = useState('');

  const readFile = async (e: ChangeEvent<HTMLInputElement>) => {
    const file = e.target.files?.[0];
    if (file) setKubeConfig(await file.text());
  };

  const { errors, busy, submit } = useFormSubmit(async () => {
    await api('POST', '/v3/clusters', { name, importedConfig: { kubeConfig } });
    props.onClose();
  });

  return (
    <Dialog title="Register a cluster with its kubeconfig" onClose={props.onClose} wide>
      <form className="form" onSubmit={(e) => void submit(e)}>
        <p className="muted">The server connects to the API server directly; use this when it can reach it.</p>
        <Field
          label="Cluster name"
          name="name"
          required
          autoFocus
          value={name}
          error={errors.name}
          onChange={(e) => setName(e.target.value)}
        />
        <Field
          label="Kubeconfig file"
          type="file"
          accept=".yaml,.yml,.conf,text/*"
          onChange={(e) => void readFile(e)}
        />
        <TextAreaField
          label="Kubeconfig"
          name="kubeConfig"
          required
          rows={10}
          spellCheck={false}
          className="mono"
          value={kubeConfig}
          error={errors['importedConfig.kubeConfig'] ?? errors.importedConfig}
          onChange={(e) => setKubeConfig(e.target.value)}
        />
        <FormFooter error={errors.form} submitLabel="Register" busy={busy} onCancel={props.onClose} />
      </form>
    </Dialog>
  );
}
