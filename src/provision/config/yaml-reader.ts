import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { nearest } from './issues.js';
import type { ConfigIssue } from './types.js';

/**
 * Reads a YAML document node by node, so that every problem can name its key path, line and
 * column, and collects all problems instead of stopping at the first. Values that are wrong are
 * reported and replaced by their default, so that checks further on still run.
 */

/** A value in the file: where it is (path and node) and its node, null when absent or empty. */
export interface Field {
  path: string;
  node: Node | null;
  /** What to point at when the value is absent or empty: the key, or the enclosing node. */
  anchor: Node | null;
}

export interface KeySpec {
  known: readonly string[];
  /** RKE keys that have no meaning in Corral: accepted with a warning giving the reason. */
  ignored?: Readonly<Record<string, string>>;
  /** RKE keys Corral cannot honour and will not silently drop: refused with the reason. */
  unsupported?: Readonly<Record<string, string>>;
}

/**
 * Files written by Rancher or by `rke config` carry every key, most of them empty; an empty or
 * switched-off value of a key Corral does not use needs no warning.
 */
function emptyish(node: Node | null): boolean {
  if (node === null) return true;
  if (isScalar(node)) return node.value === '' || node.value === false || node.value === 0;
  if (isSeq(node)) return node.items.length === 0;
  if (isMap(node)) {
    const enabled = node.items.find((p) => isScalar(p.key) && p.key.value === 'enabled');
    if (enabled && isScalar(enabled.value) && enabled.value.value === false) return true;
    return node.items.every((p) => emptyish((p.value as Node | null) ?? null));
  }
  return false;
}

const TYPE_NAMES = { map: 'a map (key: value lines)', seq: 'a list', scalar: 'a single value' };

export class YamlReader {
  readonly errors: ConfigIssue[] = [];
  readonly warnings: ConfigIssue[] = [];
  readonly root: Field;
  private readonly lines = new LineCounter();
  private readonly doc: Document;

  constructor(text: string) {
    this.doc = parseDocument(text, { lineCounter: this.lines, prettyErrors: false, uniqueKeys: true });
    for (const e of this.doc.errors) {
      const { line, col } = this.lines.linePos(e.pos[0]);
      this.errors.push({ path: '', line, column: col, message: `YAML syntax: ${e.message.split('\n')[0]}` });
    }
    this.root = { path: '', node: this.resolve(this.doc.contents as Node | null), anchor: null };
  }

  get syntaxOk(): boolean {
    return this.errors.length === 0;
  }

  private resolve(node: unknown): Node | null {
    if (isAlias(node)) return this.resolve(node.resolve(this.doc));
    if (node === null || node === undefined) return null;
    if (isScalar(node) && node.value === null) return null;
    return node as Node;
  }

  private place(f: Field): { line: number; column: number } {
    const node = f.node ?? f.anchor;
    const offset = node?.range?.[0];
    if (offset === undefined) return { line: 1, column: 1 };
    const { line, col } = this.lines.linePos(offset);
    return { line, column: col };
  }

  error(f: Field, message: string): void {
    this.errors.push({ path: f.path, ...this.place(f), message });
  }

  warn(f: Field, message: string): void {
    this.warnings.push({ path: f.path, ...this.place(f), message });
  }

  private typeError(f: Field, want: keyof typeof TYPE_NAMES, example?: string): void {
    const got = isMap(f.node) ? 'a map' : isSeq(f.node) ? 'a list' : `${JSON.stringify(this.scalarText(f))}`;
    this.error(f, `must be ${TYPE_NAMES[want]}, not ${got}${example ? `; write for example ${example}` : ''}`);
  }

  private scalarText(f: Field): string {
    if (!isScalar(f.node)) return '';
    const v = f.node.value;
    // A number or boolean keeps the spelling it has in the file ("1.10" stays "1.10").
    return typeof v === 'string' ? v : (f.node.source ?? String(v));
  }

  /** The fields of a map, checking its keys; null (after reporting) when it is not a map. */
  map(f: Field, spec: KeySpec, example?: string): Map<string, Field> | null {
    const out = new Map<string, Field>();
    if (f.node === null) return out;
    if (!isMap(f.node)) {
      this.typeError(f, 'map', example);
      return null;
    }
    const allKeys = [...spec.known, ...Object.keys(spec.ignored ?? {}), ...Object.keys(spec.unsupported ?? {})];
    for (const pair of f.node.items) {
      const keyNode = this.resolve(pair.key);
      const key = isScalar(keyNode) ? String(keyNode.value) : '';
      const field: Field = { path: f.path ? `${f.path}.${key}` : key, node: this.resolve(pair.value), anchor: keyNode };
      const atKey = { ...field, node: null };
      if (spec.known.includes(key)) out.set(key, field);
      else if (spec.ignored && key in spec.ignored) {
        if (!emptyish(field.node)) this.warn(atKey, `ignored: ${spec.ignored[key]}`);
      } else if (spec.unsupported && key in spec.unsupported) {
        if (!emptyish(field.node)) this.error(atKey, `not supported: ${spec.unsupported[key]}`);
      } else if (key === '<<') this.error(field, 'YAML merge keys (<<) are not supported: write the keys out');
      else {
        const near = nearest(key, allKeys);
        const where = f.path ? `in ${f.path}` : 'at the top level';
        this.error(
          atKey,
          `unknown key${near ? `: did you mean "${near}"?` : ` ${where}; known keys: ${allKeys.join(', ')}`}`,
        );
      }
    }
    return out;
  }

  /** The items of a list; an empty list when absent. */
  seq(f: Field | undefined, example?: string): Field[] {
    if (!f || f.node === null) return [];
    if (!isSeq(f.node)) {
      this.typeError(f, 'seq', example);
      return [];
    }
    return f.node.items.map((item, i) => ({ path: `${f.path}[${i}]`, node: this.resolve(item), anchor: f.node }));
  }

  /** Whether a value is given: as in RKE, an empty string counts as not given. */
  present(f: Field | undefined): f is Field & { node: Node } {
    return f !== undefined && f.node !== null && !(isScalar(f.node) && f.node.value === '');
  }

  str(f: Field | undefined, def: string): string {
    if (!this.present(f)) return def;
    if (!isScalar(f.node)) {
      this.typeError(f, 'scalar');
      return def;
    }
    return this.scalarText(f);
  }

  /** An integer, also written as a numeric string (RKE writes `port: "22"`). */
  int(f: Field | undefined, def: number, range: { min?: number; max?: number } = {}): number {
    if (!this.present(f)) return def;
    const text = isScalar(f.node) ? this.scalarText(f).trim() : '';
    if (!/^-?\d+$/.test(text)) {
      if (isScalar(f.node)) this.error(f, `must be a whole number, not ${JSON.stringify(text)}`);
      else this.typeError(f, 'scalar');
      return def;
    }
    const n = Number(text);
    const { min, max } = range;
    if ((min !== undefined && n < min) || (max !== undefined && n > max)) {
      const bounds =
        min !== undefined && max !== undefined
          ? `from ${min} to ${max}`
          : min !== undefined
            ? `at least ${min}`
            : `at most ${max}`;
      this.error(f, `must be ${bounds}, not ${n}`);
      return def;
    }
    return n;
  }

  bool(f: Field | undefined, def: boolean): boolean {
    if (!this.present(f)) return def;
    const v = isScalar(f.node) ? f.node.value : undefined;
    if (typeof v === 'boolean') return v;
    // RKE reads YAML 1.1, where yes/no/on/off are booleans too.
    if (typeof v === 'string' && /^(true|yes|on)$/i.test(v)) return true;
    if (typeof v === 'string' && /^(false|no|off)$/i.test(v)) return false;
    this.error(
      f,
      `must be true or false, not ${isScalar(f.node) ? JSON.stringify(this.scalarText(f)) : 'a ' + (isMap(f.node) ? 'map' : 'list')}`,
    );
    return def;
  }

  /** A list of strings; `check` sees each non-empty one with its field. */
  strList(f: Field | undefined, example?: string, check?: (value: string, at: Field) => void): string[] {
    if (this.present(f) && isScalar(f.node)) {
      this.typeError(f, 'seq', example);
      return [];
    }
    const out: string[] = [];
    for (const item of this.seq(f, example)) {
      const value = this.str(item, '');
      if (!value) continue;
      check?.(value, item);
      out.push(value);
    }
    return out;
  }

  /**
   * A map of strings to strings (extra_args, labels, options): numbers and booleans become text.
   * `check` sees each entry, with a field pointing at its key.
   */
  strMap(
    f: Field | undefined,
    example?: string,
    check?: (key: string, value: string, at: Field) => void,
  ): Record<string, string> {
    const out: Record<string, string> = {};
    if (!this.present(f)) return out;
    if (!isMap(f.node)) {
      this.typeError(f, 'map', example);
      return out;
    }
    for (const pair of f.node.items) {
      const keyNode = this.resolve(pair.key);
      const key = isScalar(keyNode) ? String(keyNode.value) : '';
      const field: Field = { path: `${f.path}.${key}`, node: this.resolve(pair.value), anchor: keyNode };
      out[key] = this.str(field, '');
      check?.(key, out[key], { ...field, node: null });
    }
    return out;
  }

  /** The value of a scalar, for checks on its kind (a string and a number differ here). */
  raw(f: Field | undefined): unknown {
    return f && isScalar(f.node) ? f.node.value : undefined;
  }
}
