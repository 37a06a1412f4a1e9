import { Button } from './Button';

/**
 * The end of every form: the error that belongs to no single field (announced to screen readers),
 * then Cancel (when the form can be left) and the submit button.
 */
export function FormFooter(props: {
  error?: string;
  submitLabel: string;
  busy?: boolean;
  onCancel?: () => void;
  variant?: 'primary' | 'danger';
}) {
  return (
    <>
      {props.error && (
        <p className="error" role="alert">
          {props.error}
        </p>
      )}
      <div className="form-actions">
        {props.onCancel && <Button onClick={props.onCancel}>Cancel</Button>}
        <Button type="submit" variant={props.variant ?? 'primary'} busy={props.busy}>
          {props.submitLabel}
        </Button>
      </div>
    </>
  );
}
