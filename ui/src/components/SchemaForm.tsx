import type { ReactNode } from 'react';
import { fieldCreatable, subtype, type FieldDef } from '../../../src/schema/schema.js';
import { Field, SelectField, TextAreaField } from './Field';

/**
 * Form inputs made from a type's declaration: the same fields, constraints, labels and defaults the
 * server validates with. Values are kept as the inputs hold them (text, checkbox state, nested groups
 * for subtypes) and turned into a request body by `schemaBody`.
 */
export type FormValues = { [name: string]: string | boolean | FormValues };

type Fields = Record<string, FieldDef>;

const ARRAY_OF_STRINGS = 'array[string]';
const MAP_OF_STRINGS = 'map[string]';

/** "mustChangePassword" → "Must change password", for fields the declaration gives no label. */
function labelOf(name: string, def: FieldDef): string {
  if (def.label) return def.label;
  const words = name.replace(/([a-z0-9])([A-Z])/g, '$1 $2').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1);
}

function initialValue(def: FieldDef, current: unknown): string | boolean | FormValues {
  const value = current ?? def.default;
  if (def.type === 'boolean') return value === true;
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

function bodyValue(def: FieldDef, value: string | boolean | FormValues): unknown {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'object') {
    const sub = subtype(def.type);
    const body = sub ? schemaBody(sub.fields, Object.keys(sub.fields), value) : {};
    // An empty group means "none": the API takes null for it (no quota), and leaving it out otherwise.
    return Object.keys(body).length ? body : def.nullable ? null : undefined;
  }
  const text = def.type === 'password' ? value : value.trim();
  if (text === '') return undefined;
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

/** The request body for the given fields; what was left empty is left out (or null for a nullable group). */
export function schemaBody(fields: Fields, names: readonly string[], values: FormValues): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const value = values[name];
    if (value === undefined) continue;
    const v = bodyValue(fields[name]!, value);
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
        const label = labelOf(name, def);
        const value = values[name];
        const common = {
          name: path,
          label,
          error: errors[path],
          disabled: props.disabled,
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
                disabled={props.disabled}
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
              options={def.required ? options : [{ value: '', label: '—' }, ...options]}
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
