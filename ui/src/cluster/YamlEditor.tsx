/**
 * YAML view and editor for one object. Save sends the user's changes (a merge patch from the
 * object as it was opened to the edited text) guarded by the resourceVersion it was opened at.
 * If the object changed meanwhile (409), the three versions are compared as a merge tool does:
 * changes to other fields (a controller's status or annotation, someone's other label) are kept
 * and the edit goes again on the current version; a field both sides changed is a conflict the
 * user resolves by reloading or by overwriting, knowingly. Nothing is ever overwritten silently.
 */
import { useId, useState } from 'react';
import { parseDocument, stringify } from 'yaml';
import { api, ApiRequestError, errorMessage } from '../api/http';
import { Button } from '../components/Button';
import { conflictingFields, userPatch } from './edit-conflict';
import type { KubeObject } from './k8s';

const MERGE_PATCH = { 'content-type': 'application/merge-patch+json' };

/** The text as an object, or null while it does not parse (no error shown: the user is typing). */
function parseQuietly(text: string): KubeObject | null {
  const doc = parseDocument(text);
  if (doc.errors.length) return null;
  const value = doc.toJS() as unknown;
  return value && typeof value === 'object' && !Array.isArray(value) && 'metadata' in value
    ? (value as KubeObject)
    : null;
}

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
  /** The fields both the user and someone else changed, when saving found any. */
  const [conflict, setConflict] = useState<string[] | null>(null);
  const [busy, setBusy] = useState(false);
  const [saved, setSaved] = useState(false);
  const textId = useId();
  const name = obj.metadata.name;

  const start = () => {
    setEditing({ text: toYaml(obj), base: obj });
    setProblem(null);
    setConflict(null);
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
  const done = () => {
    setEditing(null);
    setConflict(null);
    setSaved(true);
  };

  /**
   * Sends the user's changes on `version`. On a 409 it reads the object again: if nobody else
   * touched a field the user changed, the same changes go again on the new version (a few times:
   * a rollout keeps writing); otherwise the conflicting fields are shown.
   */
  const patch = async (edited: KubeObject, base: KubeObject) => {
    const changes = userPatch(base, edited);
    setBusy(true);
    setProblem(null);
    try {
      let version = base.metadata.resourceVersion ?? '';
      for (let attempt = 0; ; attempt++) {
        const metadata = { ...((changes.metadata as object | undefined) ?? {}), resourceVersion: version };
        try {
          await api('PATCH', url, { ...changes, metadata }, { headers: MERGE_PATCH });
          break;
        } catch (err) {
          if (!isConflict(err) || attempt === 4) throw err;
          const current = await api<KubeObject>('GET', url);
          const fields = conflictingFields(base, edited, current);
          if (fields.length) {
            setConflict(fields);
            return;
          }
          version = current.metadata.resourceVersion ?? '';
        }
      }
      done();
    } catch (err) {
      if (isConflict(err)) setConflict([]);
      else setProblem({ message: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  };

  const save = () => {
    if (!editing) return;
    const edited = parse(editing.text);
    if (edited) void patch(edited, editing.base);
  };

  /** The user's whole text replaces the cluster's current version (chosen after a conflict). */
  const overwrite = async () => {
    if (!editing) return;
    const edited = parse(editing.text);
    if (!edited) return;
    setBusy(true);
    setProblem(null);
    try {
      const current = await api<KubeObject>('GET', url);
      await api('PUT', url, {
        ...edited,
        metadata: { ...edited.metadata, resourceVersion: current.metadata.resourceVersion },
      });
      done();
    } catch (err) {
      // Changed again in between: still a conflict, still the user's call.
      if (isConflict(err)) setConflict(conflict ?? []);
      else setProblem({ message: errorMessage(err) });
    } finally {
      setBusy(false);
    }
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

  // Only what would make saving ask: someone else changed a field the user has changed too.
  const edits = parseQuietly(editing.text);
  const changedMeanwhile = !!edits && conflictingFields(editing.base, edits, obj).length > 0;
  return (
    <div className="yaml-edit">
      {conflict ? (
        <div className="alert alert-bad" role="alert">
          <strong>Conflict:</strong> this {kindLabel} changed in the cluster since you opened it
          {conflict.length ? (
            <>
              , in what you changed too: <code>{conflict.join(', ')}</code>
            </>
          ) : null}
          : reload or overwrite. Reloading discards your edits; overwriting replaces the cluster’s newer version with
          yours.
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
            Someone changed what you are editing in the cluster since you started; saving will ask what to do.
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
        <Button variant="primary" busy={busy} onClick={save} disabled={!!conflict}>
          Save
        </Button>
        <Button onClick={() => setEditing(null)}>Cancel</Button>
      </div>
    </div>
  );
}
