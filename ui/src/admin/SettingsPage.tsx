import { useMemo, useState } from 'react';
import { api } from '../api/http';
import type { Setting } from '../api/types';
import { setting as settingType } from '../../../src/schema/types/setting.js';
import { Button } from '../components/Button';
import { DataTable } from '../components/DataTable';
import { Dialog } from '../components/Dialog';
import { SchemaForm } from '../components/SchemaForm';
import { schemaColumns } from '../components/schemaColumns';
import { useLiveList } from '../live/useLiveList';

/** The server's settings (Rancher's names), with their values; an admin changes a value here. */
export function SettingsPage() {
  const { items, state } = useLiveList<Setting>({ kind: 'v3', type: 'setting' });
  const [editing, setEditing] = useState<Setting | null>(null);
  const columns = useMemo(
    () =>
      schemaColumns<Setting>(settingType, {
        override: {
          id: { header: 'Name', width: '300px' },
          customized: { header: 'Changed', width: '90px' },
        },
        extra: [
          {
            id: 'actions',
            header: 'Actions',
            width: '90px',
            cell: (s) =>
              s.links.update ? (
                <Button className="btn-small" aria-label={`Edit ${s.id}`} onClick={() => setEditing(s)}>
                  Edit
                </Button>
              ) : null,
          },
        ],
      }),
    [],
  );
  return (
    <section>
      <h1>Settings</h1>
      <DataTable
        label="Settings"
        rows={items}
        columns={columns}
        rowKey={(s) => s.id}
        initialSort={{ id: 'id' }}
        emptyText={state === 'loading' ? 'Loading…' : 'No settings.'}
      />
      {editing && <EditSettingDialog setting={editing} onClose={() => setEditing(null)} />}
    </section>
  );
}

const EDIT_FIELDS = ['value'] as const;

function EditSettingDialog(props: { setting: Setting; onClose: () => void }) {
  const { setting } = props;
  return (
    <Dialog title={`Edit setting ${setting.id}`} onClose={props.onClose} wide>
      <SchemaForm
        fields={settingType.fields}
        names={EDIT_FIELDS}
        mode="update"
        initial={setting}
        hints={{ value: setting.default ? `default: ${setting.default}` : 'empty by default' }}
        submitLabel="Save"
        onCancel={props.onClose}
        onSubmit={async (body) => {
          await api('PUT', `/v3/settings/${encodeURIComponent(setting.id)}`, body);
          props.onClose();
        }}
      />
    </Dialog>
  );
}
