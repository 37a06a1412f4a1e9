import { useState, type ReactNode } from 'react';
import { fieldCreatable, fieldUpdatable, subtype, type FieldDef } from '../../../src/schema/schema.js';
import { useFormSubmit } from '../api/useFormSubmit';
import { Field, SelectField, TextAreaField } from './Field';
import { FormFooter } from './FormFooter';

/**
 * Form inputs made from a type's declaration: the same fields, constraints, labels and defaults the
 * server validates with. Values are kept as the inputs hold them (text, checkbox state, nested groups
 * for subtypes) and turned into a request body by `schemaBody`.
 */
export type FormValues = { [name: string]: string | boolean | FormValues };

type Fields = Record<string, FieldDef>;

const ARRAY_OF_STRINGS = 'array[string]';
const MAP_OF_STRINGS = 'map[string]';

/** Text longer than this may hold several lines (a PEM certificate, a setting's value): a text area. */
const MULTILINE_OVER = 4096;
const multiline = (def: FieldDef) =>
  (def.type === 'string' || def.type === 'password') && (def.maxLength ?? 0) > MULTILINE_OVER;

/** "mustChangePassword" → "Must change password", for fields the declaration gives no label. */
export function fieldLabel(name: string, def: FieldDef | undefined): string {
  if (def?.label) return def.label;
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function initialValue(def: FieldDef, current: unknown): string | boolean | FormValues {
  const value = current ?? def.default;
  if (def.type === 'boolean') return value === true;
  // A required choice starts at its first option, which is what its select shows.
  if (def.type === 'enum' && def.required && (value === undefined || value === null)) return def.options?.[0] ?? '';
  const sub = subtype(def.type);
  if (sub) return initialValues(sub.fields, Object.keys(sub.fields), (value ?? {}) as Record<string, unknown>);
  if (def.type === ARRAY_OF_STRINGS) return Array.isArray(value) ? value.join(', ') : '';
  if (def.type === MAP_OF_STRINGS) {
    return Object.entries((value ?? {}) as Record<string, string>)
      .map(([k, v]) => `${k}=${v}`)
      .join('\n');
  }
  return value === undefined || value === null ? '' : String(value as string | number);
}

/** The form's starting values: the resource's own (when editing), else the declared defaults. */
export function initialValues(fields: Fields, names: readonly string[], current: Record<string, unknown> = {}) {
  const out: FormValues = {};
  for (const name of names) out[name] = initialValue(fields[name]!, current[name]);
  return out;
}

/**
 * What an emptied input sends on update, where leaving the field out would keep the old value: an
 * empty string, list or map, else null (no value) for an optional field.
 */
function clearedValue(def: FieldDef): unknown {
  if (def.type === 'string' || def.type === 'password') return '';
  if (def.type === ARRAY_OF_STRINGS) return [];
  if (def.type === MAP_OF_STRINGS) return {};
  return def.required ? undefined : null;
}

function bodyValue(def: FieldDef, value: string | boolean | FormValues, mode: Mode): unknown {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'object') {
    const sub = subtype(def.type);
    const body = sub ? schemaBody(sub.fields, Object.keys(sub.fields), value) : {};
    // An empty group means "none": the API takes null for it (no quota), and leaving it out otherwise.
    return Object.keys(body).length ? body : def.nullable ? null : undefined;
  }
  const text = def.type === 'password' || multiline(def) ? value : value.trim();
  if (text === '') return mode === 'update' ? clearedValue(def) : undefined;
  if (def.type === 'int') return Number(text);
  if (def.type === ARRAY_OF_STRINGS) {
    return text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  }
  if (def.type === MAP_OF_STRINGS) {
    const lines = text.split('\n').filter((l) => l.trim());
    return Object.fromEntries(lines.map((l) => [l.slice(0, l.indexOf('=')).trim(), l.slice(l.indexOf('=') + 1)]));
  }
  return text;
}

type Mode = 'create' | 'update';

/**
 * The request body for the given fields. On create what was left empty is left out (or null for a
 * nullable group); on update it is sent emptied, so that clearing an input clears the value.
 */
export function schemaBody(
  fields: Fields,
  names: readonly string[],
  values: FormValues,
  mode: Mode = 'create',
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const value = values[name];
    if (value === undefined) continue;
    const v = bodyValue(fields[name]!, value, mode);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/**
 * Inputs for the named fields of a type (or subtype), in the order given. An API error is shown at the
 * input whose dotted path is its `fieldName` (`resourceQuota.limit.pods`).
 */
export function SchemaFields(props: {
  fields: Fields;
  names: readonly string[];
  values: FormValues;
  onChange: (values: FormValues) => void;
  errors: Record<string, string>;
  /** The dotted path of the group these fields are in, for nested subtypes. */
  path?: string;
  autoFocus?: boolean;
  disabled?: boolean;
  /** Fields shown but not changeable (on update, those the declaration says cannot change). */
  locked?: readonly string[];
  /** What a field is for, where the page knows better than the declaration. */
  hints?: Record<string, ReactNode>;
}) {
  const { fields, values, errors } = props;
  const set = (name: string, value: string | boolean | FormValues) => props.onChange({ ...values, [name]: value });
  return (
    <>
      {props.names.map((name, i) => {
        const def = fields[name]!;
        const path = props.path ? `${props.path}.${name}` : name;
        const label = fieldLabel(name, def);
        const value = values[name];
        const common = {
          name: path,
          label,
          error: errors[path],
          disabled: props.disabled || props.locked?.includes(name),
          autoFocus: props.autoFocus && i === 0,
        };
        const sub = subtype(def.type);
        if (sub) {
          return (
            <fieldset key={name}>
              <legend>{label}</legend>
              <SchemaFields
                fields={sub.fields}
                names={Object.keys(sub.fields).filter((k) => fieldCreatable(sub.fields[k]!))}
                values={typeof value === 'object' ? value : {}}
                onChange={(v) => set(name, v)}
                errors={errors}
                path={path}
                disabled={props.disabled}
              />
            </fieldset>
          );
        }
        if (def.type === 'boolean') {
          const id = `field-${path.replace(/\./g, '-')}`;
          return (
            <div key={name} className="checkbox">
              <input
                id={id}
                name={path}
                type="checkbox"
                checked={value === true}
                disabled={common.disabled}
                onChange={(e) => set(name, e.target.checked)}
              />
              <label htmlFor={id}>{label}</label>
            </div>
          );
        }
        const text = typeof value === 'string' ? value : '';
        if (def.type === 'enum') {
          const options = (def.options ?? []).map((o) => ({ value: o, label: o }));
          return (
            <SelectField
              key={name}
              {...common}
              required={def.required}
              value={text}
              // A defaulted choice needs no "none": leaving it out would choose the default anyway.
              options={def.required || def.default !== undefined ? options : [{ value: '', label: '—' }, ...options]}
              onChange={(e) => set(name, e.target.value)}
            />
          );
        }
        if (def.type === MAP_OF_STRINGS) {
          return (
            <TextAreaField
              key={name}
              {...common}
              placeholder="key=value, one a line"
              hint={props.hints?.[name]}
              value={text}
              onChange={(e) => set(name, e.target.value)}
            />
          );
        }
        if (multiline(def)) {
          return (
            <TextAreaField
              key={name}
              {...common}
              className="mono"
              required={def.required}
              maxLength={def.maxLength}
              spellCheck={false}
              autoComplete="off"
              hint={props.hints?.[name]}
              value={text}
              onChange={(e) => set(name, e.target.value)}
            />
          );
        }
        return (
          <Field
            key={name}
            {...common}
            type={def.type === 'password' ? 'password' : def.type === 'int' ? 'number' : 'text'}
            autoComplete={def.type === 'password' ? 'new-password' : undefined}
            required={def.required}
            minLength={def.minLength}
            maxLength={def.maxLength}
            min={def.min}
            max={def.max}
            hint={props.hints?.[name] ?? (def.type === ARRAY_OF_STRINGS ? 'comma-separated' : undefined)}
            placeholder={def.format === 'quantity' ? 'no limit' : undefined}
            value={text}
            onChange={(e) => set(name, e.target.value)}
          />
        );
      })}
    </>
  );
}

/**
 * The whole form for a simple type: the declared inputs, the page's own extra inputs (`extra`, for
 * what the declaration cannot describe as one input, such as a list of rules), and the footer. On
 * update the fields that cannot change are shown locked and not sent, and the resource's
 * resourceVersion goes along, so that an edit of a stale copy is refused rather than lost.
 */
export function SchemaForm(props: {
  fields: Fields;
  /** The fields to show, in order; a function of the values where one field decides the others. */
  names: readonly string[] | ((values: FormValues) => readonly string[]);
  mode: Mode;
  /** The values to start from: the resource being edited, or what the page prefers to the defaults. */
  initial?: Record<string, unknown>;
  submitLabel: string;
  onSubmit: (body: Record<string, unknown>) => Promise<void>;
  onCancel?: () => void;
  hints?: Record<string, ReactNode>;
  /** Inputs of the page's own, after the declared ones; given the errors, so theirs show at them, and the values. */
  extra?: (errors: Record<string, string>, values: FormValues) => ReactNode;
  /** Fields the `extra` inputs show errors for (others that no input shows go to the footer). */
  extraFields?: readonly string[];
  variant?: 'primary' | 'danger';
}) {
  const { fields, mode } = props;
  const namesOf = (values: FormValues) => {
    const all = typeof props.names === 'function' ? props.names(values) : props.names;
    return mode === 'create' ? all.filter((n) => fieldCreatable(fields[n]!)) : all;
  };
  const [values, setValues] = useState<FormValues>(() => {
    const all = Object.keys(fields).filter((n) => (mode === 'create' ? fieldCreatable(fields[n]!) : true));
    return initialValues(fields, all, props.initial);
  });
  const names = namesOf(values);
  const locked = mode === 'update' ? names.filter((n) => !fieldUpdatable(fields[n]!)) : [];
  const { errors, busy, submit } = useFormSubmit(async () => {
    const sent = names.filter((n) => !locked.includes(n));
    const body = schemaBody(fields, sent, values, mode);
    const version = props.initial?.resourceVersion;
    await props.onSubmit(
      mode === 'update' && typeof version === 'string' ? { ...body, resourceVersion: version } : body,
    );
  });
  // An error about a field no input shows (a nested one, a whole group) is shown above the buttons.
  const shown = (key: string) => {
    const top = key.split(/[.[]/)[0]!;
    return names.includes(top) || !!props.extraFields?.includes(top);
  };
  const stray = Object.entries(errors).find(([k]) => k !== 'form' && !shown(k))?.[1];
  return (
    <form className="form" onSubmit={(e) => void submit(e)}>
      <SchemaFields
        fields={fields}
        names={names}
        values={values}
        onChange={setValues}
        errors={errors}
        locked={locked}
        hints={props.hints}
        autoFocus
      />
      {props.extra?.(errors, values)}
      <FormFooter
        error={errors.form ?? stray}
        submitLabel={props.submitLabel}
        busy={busy}
        onCancel={props.onCancel}
        variant={props.variant}
      />
    </form>
  );
}
