import { useState } from 'react';

/** Copies text to the clipboard; says so for a moment. `label` names what is copied, for screen readers. */
export function CopyButton(props: { text: string; label?: string }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(props.text);
      setCopied('yes');
    } catch {
      // The clipboard API needs a secure context and permission; the text stays selectable.
      setCopied('failed');
    }
    setTimeout(() => setCopied(null), 1500);
  };
  return (
    <button
      type="button"
      className="btn btn-secondary btn-small"
      aria-label={props.label ? `Copy ${props.label}` : 'Copy'}
      onClick={() => void copy()}
    >
      {copied === 'yes' ? 'Copied' : copied === 'failed' ? 'Copy failed' : 'Copy'}
    </button>
  );
}

/** A read-only, selectable line of text (a command, a secret) with a copy button. */
export function CopyField(props: { label: string; value: string; testId?: string }) {
  return (
    <div className="copy-field">
      <span className="copy-field-label">{props.label}</span>
      <div className="copy-field-row">
        <code data-testid={props.testId}>{props.value}</code>
        <CopyButton text={props.value} label={props.label} />
      </div>
    </div>
  );
}
