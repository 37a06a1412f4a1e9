import type { FieldDef, TypeDef } from '../schema/schema.js';
import { UsageError } from './usage-error.js';

/**
 * Command-line flags derived from a type's schema declaration, and the request body parsed back
 * from them. Pure (no commander, no I/O), so the derivation is testable on its own and the same
 * rules give every `create` verb its flags.
 */

export type FlagKind = 'string' | 'int' | 'boolean' | 'enum' | 'array' | 'map';

export interface DerivedFlag {
  /** The field in the request body. */
  field: string;
  /** `--kebab-case` of the field; references drop nothing (`clusterId` → `--cluster-id`). */
  flag: string;
  kind: FlagKind;
  /** For `array`: the element's kind (`int` elements are parsed as numbers). */
  element?: 'string' | 'int';
  choices?: readonly string[];
  required: boolean;
  description: string;
  def: FieldDef;
}

export const kebab = (name: string) => name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** The option name commander gives a flag's value (`--must-change-password` → mustChangePassword). */
export const optionKey = (flag: string) =>
  flag.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function kindOf(f: FieldDef): Pick<DerivedFlag, 'kind' | 'element'> | undefined {
  const t = f.type;
  if (t === 'string' || t === 'date' || t.startsWith('reference[')) return { kind: 'string' };
  if (t === 'int') return { kind: 'int' };
  if (t === 'boolean') return { kind: 'boolean' };
  if (t === 'enum') return { kind: 'enum' };
  const arr = /^array\[(.+)\]$/.exec(t);
  if (arr) {
    const inner = arr[1]!;
    if (inner === 'string' || inner.startsWith('reference[')) return { kind: 'array', element: 'string' };
    if (inner === 'int') return { kind: 'array', element: 'int' };
    return undefined;
  }
  if (t === 'map[string]') return { kind: 'map' };
  // Passwords never go on a command line (visible in ps, kept in shell history); JSON and nested
  // subtypes have no flag shape, so verbs take them from files or dedicated flags.
  return undefined;
}

/**
 * One flag per field a client may set on create (`create !== false`) whose type has a flag shape,
 * in declaration order. `omit` drops fields a verb takes another way (a positional name, a flag
 * with its own syntax such as `--ttl 30d`).
 */
export function createFlags(type: TypeDef, omit: readonly string[] = []): DerivedFlag[] {
  const out: DerivedFlag[] = [];
  for (const [field, def] of Object.entries(type.fields)) {
    if (def.create === false || omit.includes(field)) continue;
    const k = kindOf(def);
    if (!k) continue;
    const ref = /^(?:array\[)?reference\[(\w+)\]/.exec(def.type)?.[1];
    const what = `${def.description ?? field}${ref ? ` (${ref} id)` : ''}${def.required ? ' (required)' : ''}`;
    const hint =
      k.kind === 'array'
        ? ' (repeat for more)'
        : k.kind === 'map'
          ? ' (key=value, repeat for more)'
          : k.kind === 'boolean'
            ? ' (true or false; alone means true)'
            : '';
    out.push({
      field,
      flag: `--${kebab(field)}`,
      ...k,
      choices: def.options,
      required: def.required === true,
      description: `${what}${hint}`,
      def: def,
    });
  }
  return out;
}

/** The commander option spec for a flag: booleans take an optional value, the rest a required one. */
export function optionSpec(f: DerivedFlag): string {
  const metavar = f.kind === 'int' ? 'n' : f.kind === 'map' ? 'key=value' : f.kind === 'enum' ? 'choice' : 'value';
  return f.kind === 'boolean' ? `${f.flag} [bool]` : `${f.flag} <${metavar}>`;
}

function parseInt10(f: DerivedFlag, text: string): number {
  if (!/^-?\d+$/.test(text.trim())) throw new UsageError(`${f.flag} takes a whole number, not "${text}"`);
  const n = Number(text);
  const d = f.def;
  if (d.min !== undefined && n < d.min) throw new UsageError(`${f.flag} must be at least ${d.min}, not ${n}`);
  if (d.max !== undefined && n > d.max) throw new UsageError(`${f.flag} must be at most ${d.max}, not ${n}`);
  return n;
}

function parseBool(f: DerivedFlag, v: unknown): boolean {
  if (v === true || v === false) return v;
  const s = String(v).toLowerCase();
  if (['true', 'yes', '1'].includes(s)) return true;
  if (['false', 'no', '0'].includes(s)) return false;
  throw new UsageError(`${f.flag} takes true or false, not "${String(v)}"`);
}

const list = (v: unknown): string[] => (Array.isArray(v) ? v.map(String) : [String(v)]);

/**
 * The body for the flags given (`values` keyed as commander keys them); flags not given are left
 * out, so the server applies its defaults. A value of the wrong shape is a UsageError naming the
 * flag and what it takes; the server still validates everything else (lengths, patterns).
 */
export function bodyFromFlags(flags: readonly DerivedFlag[], values: Record<string, unknown>): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const f of flags) {
    const v = values[optionKey(f.flag)];
    if (v === undefined) {
      if (f.required) throw new UsageError(`${f.flag} is required`);
      continue;
    }
    switch (f.kind) {
      case 'string':
        body[f.field] = String(v);
        break;
      case 'int':
        body[f.field] = parseInt10(f, String(v));
        break;
      case 'boolean':
        body[f.field] = parseBool(f, v);
        break;
      case 'enum':
        if (!f.choices?.includes(String(v)))
          throw new UsageError(`${f.flag} takes one of ${f.choices?.join(', ')}, not "${String(v)}"`);
        body[f.field] = String(v);
        break;
      case 'array':
        body[f.field] = list(v).map((x) => (f.element === 'int' ? parseInt10(f, x) : x));
        break;
      case 'map': {
        const m: Record<string, string> = {};
        for (const pair of list(v)) {
          const i = pair.indexOf('=');
          if (i <= 0) throw new UsageError(`${f.flag} takes key=value, not "${pair}"`);
          m[pair.slice(0, i)] = pair.slice(i + 1);
        }
        body[f.field] = m;
        break;
      }
    }
  }
  return body;
}
