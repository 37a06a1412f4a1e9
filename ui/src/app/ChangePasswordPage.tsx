import { useState, type FormEvent } from 'react';
import { api, ApiRequestError, errorMessage } from '../api/http';
import { Button } from '../components/Button';
import { Field } from '../components/Field';

/**
 * Change one's own password. Used both as the forced step after the bootstrap login
 * (`mustChangePassword`) and from the account page.
 */
export function ChangePasswordForm(props: { onDone: () => void | Promise<void>; submitLabel?: string }) {
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [confirm, setConfirm] = useState('');
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);

  const submit = async (e: FormEvent) => {
    e.preventDefault();
    if (next !== confirm) {
      setErrors({ confirm: 'the two new passwords differ' });
      return;
    }
    setBusy(true);
    setErrors({});
    try {
      await api('POST', '/v3/users?action=changepassword', { currentPassword: current, newPassword: next });
      await props.onDone();
    } catch (err) {
      const field = err instanceof ApiRequestError && err.fieldName ? err.fieldName : 'form';
      setErrors({ [field]: errorMessage(err) });
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(e) => void submit(e)} className="form">
      <Field
        label="Current password"
        type="password"
        autoComplete="current-password"
        required
        value={current}
        error={errors.currentPassword}
        onChange={(e) => setCurrent(e.target.value)}
      />
      <Field
        label="New password"
        type="password"
        autoComplete="new-password"
        required
        value={next}
        error={errors.newPassword}
        onChange={(e) => setNext(e.target.value)}
      />
      <Field
        label="Confirm new password"
        type="password"
        autoComplete="new-password"
        required
        value={confirm}
        error={errors.confirm}
        onChange={(e) => setConfirm(e.target.value)}
      />
      {errors.form && (
        <p className="error" role="alert">
          {errors.form}
        </p>
      )}
      <div className="form-actions">
        <Button type="submit" variant="primary" busy={busy}>
          {props.submitLabel ?? 'Change password'}
        </Button>
      </div>
    </form>
  );
}

export function ForcedPasswordChangePage(props: { onDone: () => Promise<void>; onLogOut: () => void }) {
  return (
    <main className="auth-page">
      <div className="auth-card">
        <h1>Choose a new password</h1>
        <p className="muted">This account still has its first password. Set your own before going on.</p>
        <ChangePasswordForm onDone={props.onDone} submitLabel="Set password and continue" />
        <Button variant="link" onClick={props.onLogOut}>
          Log out
        </Button>
      </div>
    </main>
  );
}
