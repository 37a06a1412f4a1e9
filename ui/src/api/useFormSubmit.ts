import { useState, type FormEvent } from 'react';
import { fieldErrors } from './http';

/**
 * The submit of every form: busy while `action` runs, and the API's error shown at its field
 * (`errors[fieldName]`) or for the whole form (`errors.form`).
 */
export function useFormSubmit(action: () => Promise<void>) {
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [busy, setBusy] = useState(false);
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setErrors({});
    try {
      await action();
    } catch (err) {
      setErrors(fieldErrors(err));
    } finally {
      setBusy(false);
    }
  };
  return { errors, setErrors, busy, submit };
}
