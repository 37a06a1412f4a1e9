/**
 * YAML view and editor for one object. Save is a PUT carrying the resourceVersion the edit started
 * from, so the API server refuses (409) an edit made on a version that is no longer current. If
 * only status or the server's bookkeeping changed meanwhile (controllers do that constantly), the
 * edit is re-sent on the current version: nothing the user could have edited is lost. Otherwise the
 * user chooses to reload or to overwrite, knowingly. Nothing is ever overwritten silently.
 */
import { useId, useState } from 'react';
import { parseDocument, stringify } from 'yaml';
import { api, ApiRequestError, errorMessage } from '../api/http';
import { Button } from '../components/Button';
import { changedOnlyByServer } from './edit-conflict';
import type { KubeObject } from './k8s';

/** The object as people edit it: without the server's bookkeeping of who set which field. */
export function toYaml(obj: KubeObject): string {
  const { managedFields: _managed, ...metadata } = obj.metadata;
  return stringify({ ...obj, metadata }, { lineWidth: 0 });
}

interface Problem {
  message: string;
  line?: number;
}

export function YamlEditor(props: {
  obj: KubeObject;
  /** API path of the object, under the cluster proxy. */
  url: string;
  kindLabel: string;
  canEdit: boolean;
}) {
  const { obj, url, kindLabel, canEdit } = props;
  /** base: the object as it was when editing started; what a conflict is judged against. */
  const [editing, setEditing] = useState<{ text: string; base: KubeObject } | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [conflict, setConflict] = useState(false);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const textId = useId();
  const name = obj.metadata.name;

  const start = () => {
    setEditing({ text: toYaml(obj), base: obj });
    setProblem(null);
    setConflict(false);
    setSaved(false);
  };

  const parse = (text: string): KubeObject | null => {
    const doc = parseDocument(text);
    const err = doc.errors[0];
    if (err) {
      const line = err.linePos?.[0]?.line;
      setProblem({ message: err.message.split('\n')[0] ?? err.message, ...(line ? { line } : {}) });
      return null;
    }
    const value = doc.toJS() as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      setProblem({ message: `The YAML must be one ${kindLabel} object.` });
      return null;
    }
    const edited = value as KubeObject;
    if (edited.metadata?.name !== name || (edited.metadata.namespace ?? undefined) !== obj.metadata.namespace) {
      setProblem({ message: 'metadata.name and metadata.namespace cannot change: create a new object instead.' });
      return null;
    }
    return edited;
  };

  const isConflict = (err: unknown) => err instanceof ApiRequestError && err.status === 409;

  /**
   * PUTs the edit on `version`. On a 409 it re-reads the object: a change only by the server is
   * no conflict, so the edit goes again on the new version (a few times: a rollout keeps
   * writing status); any other change is the user's to decide.
   */
  const put = async (edited: KubeObject, base: KubeObject, version: string) => {
    setBusy(true);
    setProblem(null);
    try {
      for (let attempt = 0; ; attempt++) {
        try {
          await api('PUT', url, { ...edited, metadata: { ...edited.metadata, resourceVersion: version } });
          break;
        } catch (err) {
          if (!isConflict(err) || attempt === 4) throw err;
          const current = await api<KubeObject>('GET', url);
          if (!changedOnlyByServer(base, current)) throw err;
          version = current.metadata.resourceVersion ?? '';
        }
      }
      setEditing(null);
      setConflict(false);
      setSaved(true);
    } catch (err) {
      if (isConflict(err)) setConflict(true);
      else setProblem({ message: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  };

  const save = () => {
    if (!editing) return;
    const edited = parse(editing.text);
    if (!edited) return;
    // The version the edit started from, whatever the text says: a stale edit must be refused.
    void put(edited, editing.base, editing.base.metadata.resourceVersion ?? '');
  };

  const overwrite = async () => {
    if (!editing) return;
    const edited = parse(editing.text);
    if (!edited) return;
    setBusy(true);
    let current: KubeObject;
    try {
      current = await api<KubeObject>('GET', url);
    } catch (err) {
      setBusy(false);
      setProblem({ message: errorMessage(err) });
      return;
    }
    // The user chose to replace what is there now: that version becomes the edit's base.
    setEditing({ ...editing, base: current });
    await put(edited, current, current.metadata.resourceVersion ?? '');
  };

  const reload = () => start();

  if (!editing) {
    return (
      <div className="yaml-view">
        <div className="toolbar">
          {canEdit && (
            <Button variant="primary" onClick={start}>
              Edit YAML
            </Button>
          )}
          {saved && (
            <span className="ok-text" role="status">
              Saved.
            </span>
          )}
        </div>
        <pre className="yaml" tabIndex={0} aria-label={`YAML of ${kindLabel} ${name}`}>
          {toYaml(obj)}
        </pre>
      </div>
    );
  }

  const changedMeanwhile = !changedOnlyByServer(editing.base, obj);
  return (
    <div className="yaml-edit">
      {conflict ? (
        <div className="alert alert-bad" role="alert">
          <strong>Conflict:</strong> this {kindLabel} changed in the cluster since you opened it: reload or overwrite.
          Reloading discards your edits; overwriting replaces the cluster’s newer version with yours.
          <div className="toolbar">
            <Button onClick={reload}>Reload</Button>
            <Button variant="danger" busy={busy} onClick={() => void overwrite()}>
              Overwrite
            </Button>
          </div>
        </div>
      ) : (
        changedMeanwhile && (
          <p className="alert alert-warn" role="status">
            This {kindLabel} has changed in the cluster since you started editing; saving will ask what to do.
          </p>
        )
      )}
      <label htmlFor={textId}>
        YAML of {kindLabel} {name}
      </label>
      <textarea
        id={textId}
        className="yaml"
        spellCheck={false}
        autoCapitalize="off"
        autoCorrect="off"
        value={editing.text}
        rows={Math.min(40, Math.max(12, editing.text.split('\n').length + 1))}
        aria-invalid={problem ? true : undefined}
        aria-describedby={problem ? `${textId}-problem` : undefined}
        onChange={(e) => setEditing({ ...editing, text: e.target.value })}
      />
      {problem && (
        <p id={`${textId}-problem`} className="error" role="alert">
          {problem.line ? `Line ${problem.line}: ` : ''}
          {problem.message}
        </p>
      )}
      <div className="toolbar">
        <Button variant="primary" busy={busy} onClick={save} disabled={conflict}>
          Save
        </Button>
        <Button onClick={() => setEditing(null)}>Cancel</Button>
      </div>
    </div>
  );
}
