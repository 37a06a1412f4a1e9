/**
 * Typed builders for `FieldDef`s. Each returns the same plain object one would write by hand (the
 * validator, the renderer and /v3/schemas read it unchanged), and carries the field's value type, so
 * `SpecOf` and `ResourceOf` follow from a declaration instead of being written again beside it.
 */
import type { FieldDef, SubtypeDef } from './schema.js';

// Exists only in types: the value a field holds. Never set at runtime.
declare const VALUE: unique symbol;

/** What every builder accepts besides the field's own constraints. */
export interface FieldOptions<T = unknown> {
  description?: string;
  /** The form label, where the field name reads badly ("resourceQuota"); forms fall back to the name. */
  label?: string;
  required?: boolean;
  nullable?: boolean;
  create?: boolean;
  update?: boolean;
  writeOnly?: boolean;
  /** Server-owned: shorthand for `create: false, update: false`. */
  readOnly?: boolean;
  default?: T;
}

type StringOptions = FieldOptions<string> & Pick<FieldDef, 'minLength' | 'maxLength' | 'pattern' | 'patternHint'>;
type IntOptions = FieldOptions<number> & Pick<FieldDef, 'min' | 'max'>;
type ArrayOptions<T> = FieldOptions<T> & Pick<FieldDef, 'max'>;

/** The options as they end up on the `FieldDef`: `readOnly` becomes `create: false, update: false`. */
type Normalized<O> = Omit<O, 'readOnly'> & (O extends { readOnly: true } ? { create: false; update: false } : unknown);

export type Field<T, O = unknown> = FieldDef & { readonly [VALUE]?: T } & Normalized<O>;

function build<T, O extends FieldOptions<unknown>>(type: string, options: O, extra?: Partial<FieldDef>): Field<T, O> {
  const { readOnly, ...rest } = options;
  return { type, ...extra, ...rest, ...(readOnly ? { create: false, update: false } : {}) } as Field<T, O>;
}

type AnyField = Field<unknown>;
type AnyFields = Record<string, FieldDef>;

/** What a hand-written `FieldDef` holds, from its `type`, for declarations not (yet) using the builders. */
type PlainValue<F> = F extends { type: 'string' | 'password' | 'date' }
  ? string
  : F extends { type: 'int' }
    ? number
    : F extends { type: 'boolean' }
      ? boolean
      : F extends { type: 'enum'; options: readonly (infer V)[] }
        ? V
        : F extends { type: 'array[string]' }
          ? string[]
          : F extends { type: 'map[string]' }
            ? Record<string, string>
            : unknown;

type BaseValue<F> = F extends { readonly [VALUE]?: infer T } ? (unknown extends T ? PlainValue<F> : T) : PlainValue<F>;
export type ValueOf<F> = F extends { nullable: true } ? BaseValue<F> | null : BaseValue<F>;

export type Simplify<T> = { [K in keyof T]: T[K] } & {};
type Always<F> = F extends { required: true } ? true : F extends { default: unknown } ? true : false;
type ServerOwned<F> = F extends { create: false; update: false } ? true : false;

type AlwaysKeys<Fs> = { [K in keyof Fs]: Always<Fs[K]> extends true ? K : never }[keyof Fs];
type RenderedKeys<Fs> = {
  [K in keyof Fs]: Fs[K] extends { writeOnly: true }
    ? never
    : Always<Fs[K]> | ServerOwned<Fs[K]> extends false
      ? never
      : K;
}[keyof Fs];
type VisibleKeys<Fs> = { [K in keyof Fs]: Fs[K] extends { writeOnly: true } ? never : K }[keyof Fs];

/**
 * The values of a set of fields as stored and validated: required and defaulted fields always hold a
 * value; the others may be missing, or null (the validator turns an empty optional value into null).
 */
export type ValuesOf<Fs extends AnyFields> = Simplify<
  { -readonly [K in AlwaysKeys<Fs>]: ValueOf<Fs[K]> } & {
    -readonly [K in Exclude<keyof Fs, AlwaysKeys<Fs>>]?: ValueOf<Fs[K]> | null;
  }
>;

/**
 * The fields as rendered: writeOnly ones absent; required, defaulted and server-owned ones always there
 * (the server sets what it owns); the rest may be null.
 */
export type RenderedOf<Fs extends AnyFields> = Simplify<
  { -readonly [K in RenderedKeys<Fs>]: ValueOf<Fs[K]> } & {
    -readonly [K in Exclude<VisibleKeys<Fs>, RenderedKeys<Fs>>]?: ValueOf<Fs[K]> | null;
  }
>;

/** A type's `spec` as the store keeps it. */
export type SpecOf<T extends { fields: AnyFields }> = ValuesOf<T['fields']>;

export const f = {
  string: <const O extends StringOptions = object>(o?: O) => build<string, O>('string', o ?? ({} as O)),
  /** A string holding a Kubernetes resource quantity ("500m", "2Gi", "10"), checked by the validator. */
  quantity: <const O extends StringOptions = object>(o?: O) =>
    build<string, O>('string', o ?? ({} as O), { format: 'quantity' }),
  password: <const O extends StringOptions = object>(o?: O) => build<string, O>('password', o ?? ({} as O)),
  /** An RFC 3339 timestamp. */
  date: <const O extends FieldOptions<string> = object>(o?: O) => build<string, O>('date', o ?? ({} as O)),
  int: <const O extends IntOptions = object>(o?: O) => build<number, O>('int', o ?? ({} as O)),
  boolean: <const O extends FieldOptions<boolean> = object>(o?: O) => build<boolean, O>('boolean', o ?? ({} as O)),
  enum: <const V extends string, const O extends FieldOptions<V> = object>(options: readonly V[], o?: O) =>
    build<V, O>('enum', o ?? ({} as O), { options }),
  /** The id of a resource of another type. */
  ref: <const O extends FieldOptions<string> = object>(type: string, o?: O) =>
    build<string, O>(`reference[${type}]`, o ?? ({} as O)),
  array: <E extends AnyField, const O extends ArrayOptions<ValueOf<E>[]> = object>(of: E, o?: O) =>
    build<ValueOf<E>[], O>(`array[${of.type}]`, o ?? ({} as O)),
  map: <E extends AnyField, const O extends FieldOptions<Record<string, ValueOf<E>>> = object>(of: E, o?: O) =>
    build<Record<string, ValueOf<E>>, O>(`map[${of.type}]`, o ?? ({} as O)),
  /** A value of a subtype (`resourceQuotaLimit`), validated field by field. */
  object: <
    S extends Pick<SubtypeDef, 'id'> & { fields: AnyFields },
    const O extends FieldOptions<ValuesOf<S['fields']>> = object,
  >(
    sub: S,
    o?: O,
  ) => build<ValuesOf<S['fields']>, O>(sub.id, o ?? ({} as O)),
  /** Any JSON; the type parameter says what the server puts there. */
  json: <T>(o?: FieldOptions<T>) => build<T, FieldOptions<T>>('json', o ?? {}),
};

/**
 * A stored spec, or input the validator has checked, as the declaration says it is. Only a type
 * assertion: the validator has already held the values to this same declaration.
 */
export function specOf<T extends { fields: AnyFields }>(_type: T, spec: Record<string, unknown>): SpecOf<T> {
  return spec as SpecOf<T>;
}
