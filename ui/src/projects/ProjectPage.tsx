import { useEffect, useState, type FormEvent } from 'react';
import { api, ApiRequestError, errorMessage, fieldErrors } from '../api/http';
import type { FieldDef } from '../../../src/schema/schema.js';
import { containerResourceLimit, resourceQuotaLimit } from '../../../src/schema/types/project.js';
import type { Cluster, ContainerLimit, Project, QuotaLimit } from '../api/types';
import { useApi } from '../api/useApi';
import { Link } from '../app/router';
import { Button } from '../components/Button';
import { StateBadge } from '../components/StateBadge';
import { useLiveList } from '../live/useLiveList';
import { MembersPanel } from './MembersPanel';
import { SecretsPanel } from './SecretsPanel';
import { AppsPanel } from '../catalog/AppsPanel';

/** A subtype's fields with their labels, in declaration order. */
const labelled = <K extends string>(fields: Record<K, FieldDef>) =>
  (Object.entries(fields) as [K, FieldDef][]).map(([k, def]): [K, string] => [k, def.label ?? k]);

/** The quota fields the API knows, from the project type's declaration. */
const QUOTA_FIELDS = labelled<keyof QuotaLimit>(resourceQuotaLimit.fields);
const LIMIT_FIELDS = labelled<keyof ContainerLimit>(containerResourceLimit.fields);

export function ProjectPage(props: { clusterId: string; projectId: string }) {
  // The live list keeps members and settings current; the single GET answers a 404 clearly.
  const { items } = useLiveList<Project>({ kind: 'v3', type: 'project', filter: { clusterId: props.clusterId } });
  const fetched = useApi<Project>(`/v3/projects/${props.projectId}`);
  const project = items.find((p) => p.id === props.projectId) ?? fetched.data;
  const { items: clusters } = useLiveList<Cluster>({ kind: 'v3', type: 'cluster' });
  const clusterName = clusters.find((c) => c.id === props.clusterId)?.name ?? '…';

  if (!project) {
    return (
      <section>
        <h1>Project</h1>
        {fetched.error ? (
          <p className="error" role="alert">
            {errorMessage(fetched.error)}
          </p>
        ) : (
          <p role="status">Loading…</p>
        )}
      </section>
    );
  }
  const mayManage = !!project.links.update;
  return (
    <section>
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link to="/clusters">Clusters</Link> / <Link to={`/c/${props.clusterId}`}>{clusterName}</Link> /{' '}
        <Link to={`/clusters/${props.clusterId}/projects`}>Projects</Link> / {project.name}
      </nav>
      <div className="page-header">
        <h1>
          Project {project.name} <StateBadge state={project.state} />
        </h1>
      </div>
      {project.description && <p className="muted">{project.description}</p>}
      <p>
        <Link to={`/clusters/${props.clusterId}/projects/${project.id}/monitoring`}>Monitoring of this project</Link>
      </p>
      <MembersPanel scope={{ kind: 'project', id: project.id, mayAdd: mayManage }} />
      <LimitsForm project={project} editable={mayManage} />
      <SecretsPanel projectId={project.id} />
      <AppsPanel clusterId={props.clusterId} projectId={project.id} />
    </section>
  );
}

type Values = Record<string, string>;

function flatten(project: Project): Values {
  const v: Values = {};
  for (const [k] of QUOTA_FIELDS) {
    v[`resourceQuota.limit.${k}`] = project.resourceQuota?.limit?.[k] ?? '';
    v[`namespaceDefaultResourceQuota.limit.${k}`] = project.namespaceDefaultResourceQuota?.limit?.[k] ?? '';
  }
  for (const [k] of LIMIT_FIELDS)
    v[`containerDefaultResourceLimit.${k}`] = project.containerDefaultResourceLimit?.[k] ?? '';
  return v;
}

/** Only the fields given; an empty group is null (no quota), as the API expects. */
function toBody(v: Values) {
  const pick = (prefix: string, keys: string[]) => {
    const out: Record<string, string> = {};
    for (const k of keys) {
      const value = v[`${prefix}${k}`]?.trim();
      if (value) out[k] = value;
    }
    return Object.keys(out).length ? out : null;
  };
  const quotaKeys = QUOTA_FIELDS.map(([k]) => k);
  const project = pick('resourceQuota.limit.', quotaKeys);
  const nsDefault = pick('namespaceDefaultResourceQuota.limit.', quotaKeys);
  return {
    resourceQuota: project ? { limit: project } : null,
    namespaceDefaultResourceQuota: nsDefault ? { limit: nsDefault } : null,
    containerDefaultResourceLimit: pick(
      'containerDefaultResourceLimit.',
      LIMIT_FIELDS.map(([k]) => k),
    ),
  };
}

/** Resource quotas and container default limits; the API's field errors appear next to their input. */
function LimitsForm(props: { project: Project; editable: boolean }) {
  const { project } = props;
  const [values, setValues] = useState<Values>(() => flatten(project));
  const [dirty, setDirty] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);

  // Follow the live object while the user has not started editing.
  useEffect(() => {
    if (!dirty) setValues(flatten(project));
  }, [project, dirty]);

  const set = (key: string, value: string) => {
    setValues((v) => ({ ...v, [key]: value }));
    setDirty(true);
    setSaved(false);
  };

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      await api('PUT', `/v3/projects/${project.id}`, toBody(values));
      setDirty(false);
      setSaved(true);
    } catch (err) {
      const errs = fieldErrors(err);
      // A whole-group error (e.g. "needs a namespaceDefaultResourceQuota") goes to that group's first field.
      if (err instanceof ApiRequestError && err.fieldName && !(err.fieldName in values)) {
        const first = Object.keys(values).find((k) => k.startsWith(`${err.fieldName}.`));
        if (first) errs[first] = err.message;
      }
      setErrors(errs);
    } finally {
      setBusy(false);
    }
  };

  const input = (key: string, label: string) => {
    const id = `limit-${key.replace(/\./g, '-')}`;
    const error = errors[key];
    return (
      <td className={error ? 'field-invalid' : undefined}>
        <label htmlFor={id} className="visually-hidden">
          {label}
        </label>
        <input
          id={id}
          name={key}
          value={values[key] ?? ''}
          disabled={!props.editable}
          placeholder="no limit"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? `${id}-error` : undefined}
          onChange={(e) => set(key, e.target.value)}
        />
        {error && (
          <small id={`${id}-error`} className="field-error" role="alert">
            {error}
          </small>
        )}
      </td>
    );
  };

  return (
    <form className="panel form" onSubmit={(e) => void submit(e)} aria-labelledby="limits-title">
      <div className="panel-header">
        <h2 id="limits-title">Resource quotas and default limits</h2>
      </div>
      <p className="muted">
        Kubernetes quantities (e.g. <code>2</code>, <code>500m</code>, <code>4Gi</code>); empty means no limit. A
        project quota needs a namespace default, which every namespace of the project gets.
      </p>
      <div className="quota-grid">
        <table className="simple-table limits-table">
          <caption className="visually-hidden">Resource quotas</caption>
          <thead>
            <tr>
              <th scope="col">Resource</th>
              <th scope="col">Project quota</th>
              <th scope="col">Namespace default quota</th>
            </tr>
          </thead>
          <tbody>
            {QUOTA_FIELDS.map(([k, label]) => (
              <tr key={k}>
                <th scope="row">{label}</th>
                {input(`resourceQuota.limit.${k}`, `Project ${label}`)}
                {input(`namespaceDefaultResourceQuota.limit.${k}`, `Namespace ${label}`)}
              </tr>
            ))}
          </tbody>
        </table>
        <table className="simple-table limits-table">
          <caption className="visually-hidden">Container default limits</caption>
          <thead>
            <tr>
              <th scope="col">Container default</th>
              <th scope="col">Value</th>
            </tr>
          </thead>
          <tbody>
            {LIMIT_FIELDS.map(([k, label]) => (
              <tr key={k}>
                <th scope="row">{label}</th>
                {input(`containerDefaultResourceLimit.${k}`, `Container ${label}`)}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {errors.form && (
        <p className="error" role="alert">
          {errors.form}
        </p>
      )}
      {props.editable && (
        <div className="form-actions">
          {saved && (
            <span className="ok" role="status">
              Saved
            </span>
          )}
          <Button
            disabled={!dirty}
            onClick={() => {
              setValues(flatten(project));
              setDirty(false);
              setErrors({});
            }}
          >
            Reset
          </Button>
          <Button type="submit" variant="primary" busy={busy} disabled={!dirty}>
            Save limits
          </Button>
        </div>
      )}
    </form>
  );
}
