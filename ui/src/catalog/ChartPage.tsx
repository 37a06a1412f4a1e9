import { useEffect, useMemo, useState } from 'react';
import { api, errorMessage } from '../api/http';
import { useFormSubmit } from '../api/useFormSubmit';
import type { App, Project, Template, TemplateVersion } from '../api/types';
import { useApi } from '../api/useApi';
import { Link, navigate } from '../app/router';
import { Field, SelectField, TextAreaField } from '../components/Field';
import { FormFooter } from '../components/FormFooter';
import { useLiveList } from '../live/useLiveList';
import {
  answersToSend,
  defaultAnswers,
  missingAnswers,
  visibleQuestions,
  type Answers,
  type Question,
} from './questions';

/** A chart: its versions, README, and an install form made from its questions. */
export function ChartPage(props: { templateId: string }) {
  const template = useApi<Template>(`/v3/templates/${encodeURIComponent(props.templateId)}`);
  const [version, setVersion] = useState('');
  const chosen = version || template.data?.defaultVersion || '';
  const tv = useApi<TemplateVersion>(
    chosen ? `/v3/templateVersions/${encodeURIComponent(`${props.templateId}-${chosen}`)}` : null,
  );
  if (template.error)
    return (
      <section>
        <h1>Chart</h1>
        <p className="error" role="alert">
          {errorMessage(template.error)}
        </p>
      </section>
    );
  const t = template.data;
  if (!t) return <p role="status">Loading…</p>;
  return (
    <section>
      <nav className="breadcrumbs" aria-label="Breadcrumbs">
        <Link to="/catalog">Catalog</Link> / {t.name}
      </nav>
      <div className="page-header">
        <h1>{t.name}</h1>
      </div>
      <p className="muted">{t.description}</p>
      <SelectField
        label="Version"
        value={chosen}
        options={(t.versions ?? []).map((v) => ({ value: String(v.version), label: String(v.version) }))}
        onChange={(e) => setVersion(e.target.value)}
      />
      {tv.data && (
        <>
          {tv.data.appReadme && (
            <div className="panel">
              <h2>About</h2>
              <pre className="readme">{tv.data.appReadme}</pre>
            </div>
          )}
          <InstallForm tv={tv.data} />
          {tv.data.readme && (
            <div className="panel">
              <h2>README</h2>
              <pre className="readme">{tv.data.readme}</pre>
            </div>
          )}
        </>
      )}
    </section>
  );
}

function InstallForm(props: { tv: TemplateVersion }) {
  const questions = useMemo(() => (props.tv.questions ?? []) as unknown as Question[], [props.tv]);
  const { items: projects } = useLiveList<Project>({ kind: 'v3', type: 'project' });
  const [projectId, setProjectId] = useState('');
  const [name, setName] = useState('');
  const [namespace, setNamespace] = useState('');
  const [valuesYaml, setValuesYaml] = useState('');
  const [answers, setAnswers] = useState<Answers>(() => defaultAnswers(questions));
  useEffect(() => setAnswers(defaultAnswers(questions)), [questions]);
  const visible = visibleQuestions(questions, answers);
  const groups = [...new Set(visible.map((q) => q.group ?? ''))];
  const { errors, setErrors, busy, submit } = useFormSubmit(async () => {
    // Required answers are checked here too: a hidden question's input is not in the page to refuse it.
    const missing = missingAnswers(questions, answers);
    if (!projectId) missing.projectId = 'choose a project';
    if (Object.keys(missing).length) return setErrors(missing);
    const app = await api<App>('POST', '/v3/apps', {
      name,
      projectId,
      externalId: props.tv.externalId,
      targetNamespace: namespace || name,
      answers: answersToSend(questions, answers),
      ...(valuesYaml.trim() ? { valuesYaml } : {}),
    });
    const [clusterId] = projectId.split(':');
    navigate(`/clusters/${clusterId}/projects/${projectId}/apps/${encodeURIComponent(app.id)}`);
  });
  return (
    <form className="form panel" onSubmit={(e) => void submit(e)} aria-label="Install">
      <h2>Install</h2>
      {props.tv.questionsError && (
        <p className="error" role="alert">
          This chart&apos;s {props.tv.questionsError}; set values below instead.
        </p>
      )}
      <SelectField
        label="Project"
        required
        value={projectId}
        error={errors.projectId}
        options={[{ value: '', label: '—' }, ...projects.map((p) => ({ value: p.id, label: `${p.name} (${p.id})` }))]}
        onChange={(e) => setProjectId(e.target.value)}
      />
      <Field
        label="Name"
        required
        maxLength={53}
        value={name}
        error={errors.name}
        onChange={(e) => setName(e.target.value)}
      />
      <Field
        label="Namespace"
        hint="a namespace of the project (default: the name)"
        value={namespace}
        error={errors.targetNamespace}
        onChange={(e) => setNamespace(e.target.value)}
      />
      {groups.map((g) => (
        <fieldset key={g || 'questions'}>
          <legend>{g || 'Questions'}</legend>
          {visible
            .filter((q) => (q.group ?? '') === g)
            .map((q) => (
              <QuestionInput
                key={q.variable}
                q={q}
                value={answers[q.variable] ?? ''}
                error={errors[q.variable] ?? errors[`answers.${q.variable}`]}
                onChange={(v) => setAnswers({ ...answers, [q.variable]: v })}
              />
            ))}
        </fieldset>
      ))}
      <TextAreaField
        label="Values YAML"
        className="mono"
        spellCheck={false}
        value={valuesYaml}
        error={errors.valuesYaml}
        hint="applied before the answers"
        onChange={(e) => setValuesYaml(e.target.value)}
      />
      <FormFooter error={errors.form ?? errors.externalId} submitLabel="Install" busy={busy} />
    </form>
  );
}

function QuestionInput(props: { q: Question; value: string; error?: string; onChange: (v: string) => void }) {
  const { q } = props;
  const label = q.label ?? q.variable;
  if (q.type === 'boolean') {
    const id = `q-${q.variable.replace(/[^a-zA-Z0-9]/g, '-')}`;
    return (
      <div className="checkbox">
        <input
          id={id}
          type="checkbox"
          checked={props.value === 'true'}
          onChange={(e) => props.onChange(String(e.target.checked))}
        />
        <label htmlFor={id}>{label}</label>
      </div>
    );
  }
  if (q.type === 'enum')
    return (
      <SelectField
        label={label}
        required={q.required}
        value={props.value}
        error={props.error}
        options={[{ value: '', label: '—' }, ...(q.options ?? []).map((o) => ({ value: String(o), label: String(o) }))]}
        onChange={(e) => props.onChange(e.target.value)}
      />
    );
  if (q.type === 'multiline')
    return (
      <TextAreaField
        label={label}
        required={q.required}
        value={props.value}
        error={props.error}
        hint={q.description}
        onChange={(e) => props.onChange(e.target.value)}
      />
    );
  return (
    <Field
      label={label}
      type={q.type === 'int' || q.type === 'float' ? 'number' : q.type === 'password' ? 'password' : 'text'}
      required={q.required}
      min={q.min}
      max={q.max}
      hint={q.description}
      value={props.value}
      error={props.error}
      onChange={(e) => props.onChange(e.target.value)}
    />
  );
}
