import { useEffect, useId, useLayoutEffect, useRef, useState, type ReactNode } from 'react';
import { api, errorMessage } from '../api/http';

/**
 * A modal dialog on the native <dialog> element: showModal() makes the rest of the page inert
 * (focus is trapped inside) and Escape fires "cancel", which we turn into onClose.
 */
export function Dialog(props: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  // The latest onClose, without re-running the open/close effect when the parent re-renders.
  const onClose = useRef(props.onClose);
  useLayoutEffect(() => {
    onClose.current = props.onClose;
  });

  useEffect(() => {
    const dialog = ref.current!;
    const opener = document.activeElement as HTMLElement | null;
    dialog.showModal();
    // showModal focuses the first focusable element, which is the close button; start instead at
    // the first control of the body (for a confirmation, its Cancel button).
    dialog
      .querySelector<HTMLElement>(
        '.dialog-body input:not([type="hidden"]):not(:disabled), .dialog-body select, .dialog-body textarea, .dialog-body button',
      )
      ?.focus();
    const cancel = (e: Event) => {
      e.preventDefault();
      onClose.current();
    };
    dialog.addEventListener('cancel', cancel);
    return () => {
      dialog.removeEventListener('cancel', cancel);
      if (dialog.open) dialog.close();
      // Give focus back to what opened the dialog, as keyboard users expect.
      opener?.focus?.();
    };
  }, []);

  return (
    <dialog ref={ref} className={`dialog${props.wide ? ' dialog-wide' : ''}`} aria-labelledby={titleId}>
      <header className="dialog-header">
        <h2 id={titleId}>{props.title}</h2>
        <button type="button" className="btn btn-link dialog-close" aria-label="Close" onClick={props.onClose}>
          ×
        </button>
      </header>
      <div className="dialog-body">{props.children}</div>
    </dialog>
  );
}

/** "Are you sure?" for destructive actions. */
export function ConfirmDialog(props: {
  title: string;
  message: ReactNode;
  confirmLabel: string;
  busy?: boolean;
  error?: string;
  onConfirm: () => void;
  onClose: () => void;
}) {
  return (
    <Dialog title={props.title} onClose={props.onClose}>
      <div className="confirm-message">{props.message}</div>
      {props.error && (
        <p className="error" role="alert">
          {props.error}
        </p>
      )}
      <div className="form-actions">
        <button type="button" className="btn btn-secondary" onClick={props.onClose}>
          Cancel
        </button>
        <button
          type="button"
          className="btn btn-danger"
          disabled={props.busy}
          aria-busy={props.busy || undefined}
          onClick={props.onConfirm}
        >
          {props.confirmLabel}
        </button>
      </div>
    </Dialog>
  );
}

/** Confirms and sends one DELETE; the API's refusal stays in the dialog. */
export function DeleteDialog(props: {
  title: string;
  message: ReactNode;
  /** The resource's API path. */
  url: string;
  confirmLabel?: string;
  onClose: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  return (
    <ConfirmDialog
      title={props.title}
      message={props.message}
      confirmLabel={props.confirmLabel ?? 'Delete'}
      busy={busy}
      error={error}
      onClose={props.onClose}
      onConfirm={() => {
        setBusy(true);
        api('DELETE', props.url).then(props.onClose, (e) => {
          setError(errorMessage(e));
          setBusy(false);
        });
      }}
    />
  );
}
