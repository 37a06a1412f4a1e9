import { useMemo, useState } from 'react';
import { api, errorMessage } from '../api/http';
import type { Catalog, Template, V3Collection } from '../api/types';
import { useApi } from '../api/useApi';
import { Link } from '../app/router';
import { catalog as catalogType } from '../../../src/schema/types/catalog.js';
import { Button } from '../components/Button';
import { DataTable } from '../components/DataTable';
import { Dialog } from '../components/Dialog';
import { Field, SelectField } from '../components/Field';
import { SchemaForm } from '../components/SchemaForm';
import { schemaColumns } from '../components/schemaColumns';
import { useLiveList } from '../live/useLiveList';

/** Charts of every catalog the user sees, with search and categories; the catalogs and their sync state. */
export function CatalogPage() {
  // Templates are filtered per caller (a project's charts are the project's), so they are read, not watched.
  const list = useApi<V3Collection<Template>>('/v3/templates?limit=-1');
  const templates = useMemo(() => list.data?.data ?? [], [list.data]);
  const state = list.loading ? 'loading' : 'live';
  const [search, setSearch] = useState('');
  const [category, setCategory] = useState('');
  const categories = useMemo(() => [...new Set(templates.flatMap((t) => t.categories ?? []))].sort(), [templates]);
  const shown = useMemo(() => {
    const q = search.trim().toLowerCase();
    return templates
      .filter((t) => !category || (t.categories ?? []).includes(category))
      .filter((t) => !q || `${t.name} ${t.description ?? ''} ${(t.keywords ?? []).join(' ')}`.toLowerCase().includes(q))
      .sort((a, b) => String(a.name).localeCompare(String(b.name)));
  }, [templates, search, category]);
  return (
    <section>
      <div className="page-header">
        <h1>Catalog</h1>
      </div>
      <div className="toolbar">
        <Field label="Search charts" type="search" value={search} onChange={(e) => setSearch(e.target.value)} />
        <SelectField
          label="Category"
          value={category}
          options={[{ value: '', label: 'All' }, ...categories.map((c) => ({ value: c, label: c }))]}
          onChange={(e) => setCategory(e.target.value)}
        />
      </div>
      {state === 'loading' && <p role="status">Loading…</p>}
      <ul className="chart-grid" aria-label="Charts">
        {shown.map((t) => (
          <li key={t.id} className="chart-card">
            <Link to={`/catalog/${encodeURIComponent(t.id)}`}>
              <strong>{t.name}</strong>
            </Link>{' '}
            <span className="muted">{t.defaultVersion}</span>
            <div className="muted">{t.catalogId ?? t.clusterCatalogId ?? t.projectCatalogId}</div>
            <p>{t.description}</p>
          </li>
        ))}
      </ul>
      {state !== 'loading' && shown.length === 0 && <p>No charts match.</p>}
      <CatalogsPanel />
    </section>
  );
}

function CatalogsPanel() {
  const { items } = useLiveList<Catalog>({ kind: 'v3', type: 'catalog' });
  const collection = useApi<V3Collection<Catalog>>('/v3/catalogs?limit=1');
  const [adding, setAdding] = useState(false);
  const [error, setError] = useState('');
  const columns = useMemo(
    () =>
      schemaColumns<Catalog>(catalogType, {
        columns: ['name', 'kind', 'url', 'state', 'templateCount', 'message', 'actions'],
        extra: [
          {
            id: 'actions',
            header: 'Actions',
            width: '110px',
            cell: (c) =>
              c.actions.refresh ? (
                <Button
                  className="btn-small"
                  aria-label={`Refresh catalog ${c.name}`}
                  onClick={() =>
                    void api('POST', `/v3/catalogs/${c.id}?action=refresh`, {}).catch((e: unknown) =>
                      setError(errorMessage(e)),
                    )
                  }
                >
                  Refresh
                </Button>
              ) : null,
          },
        ],
      }),
    [],
  );
  return (
    <div className="panel">
      <div className="panel-header">
        <h2>Catalogs</h2>
        {collection.data?.createTypes?.catalog && (
          <Button variant="primary" onClick={() => setAdding(true)}>
            Add catalog
          </Button>
        )}
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      <DataTable label="Catalogs" rows={items} columns={columns} rowKey={(c) => c.id} initialSort={{ id: 'name' }} />
      {adding && (
        <Dialog title="Add a catalog" onClose={() => setAdding(false)} wide>
          <SchemaForm
            fields={catalogType.fields}
            names={['name', 'url', 'kind', 'branch', 'username', 'password', 'refreshInterval', 'description']}
            mode="create"
            hints={{
              password: 'Stored encrypted, never shown again.',
              url: 'A Helm repository (index.yaml) or, with kind git, a git repository',
            }}
            submitLabel="Add"
            onCancel={() => setAdding(false)}
            onSubmit={async (body) => {
              await api('POST', '/v3/catalogs', body);
              setAdding(false);
            }}
          />
        </Dialog>
      )}
    </div>
  );
}
