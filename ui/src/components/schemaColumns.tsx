import { COMMON_FIELDS, subtype, type FieldDef, type TypeDef } from '../../../src/schema/schema.js';
import { relative, dateTime } from '../app/format';
import type { Column } from './DataTable';
import { fieldLabel } from './SchemaForm';
import { StateBadge } from './StateBadge';

/**
 * Table columns made from a type's declaration: its `columns` (the same list the CLI prints), each
 * rendered by its field's type. A page changes what it must (a name that links somewhere, a state
 * computed from other fields) and adds its own columns (actions) by id.
 */
export type ColumnOverride<T> = Partial<Omit<Column<T>, 'id'>>;

export interface SchemaColumnsOptions<T> {
  /** Which columns, in order: field names and the ids of `extra` columns. Default: the type's `columns`, then `extra`. */
  columns?: readonly string[];
  /** Parts of derived columns replaced by the page (header, cell, width, sort). */
  override?: Record<string, ColumnOverride<T>>;
  /** Columns of the page's own (links, actions, values from elsewhere). */
  extra?: Column<T>[];
}

/** Longer text is cut in the cell; the whole of it is the cell's tooltip. */
const MAX_TEXT = 80;
const NONE = <span className="muted">—</span>;

const valueOf = (row: object, name: string): unknown => (row as Record<string, unknown>)[name];

function compact(v: unknown): string {
  if (v === undefined || v === null) return '';
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (Array.isArray(v)) return v.map(compact).join(', ');
  return JSON.stringify(v);
}

function Text(props: { text: string; code?: boolean }) {
  if (!props.text) return NONE;
  const short = props.text.length > MAX_TEXT ? `${props.text.slice(0, MAX_TEXT - 1)}…` : props.text;
  const title = short === props.text ? undefined : props.text;
  return props.code ? <code title={title}>{short}</code> : <span title={title}>{short}</span>;
}

/** How a field of the given declaration shows in a table, sorts and filters. */
export function fieldColumn<T extends object>(name: string, def: FieldDef | undefined): Column<T> {
  const type = def?.type ?? 'string';
  const header = name === 'created' ? 'Age' : fieldLabel(name, def);
  const base = { id: name, header };
  const get = (row: T) => valueOf(row, name);

  if (name === 'state') {
    return {
      ...base,
      width: '110px',
      cell: (r) => {
        const s = get(r);
        return typeof s === 'string' && s ? <StateBadge state={s} /> : NONE;
      },
      sortValue: (r) => compact(get(r)),
    };
  }
  if (name === 'id' || type.startsWith('reference[')) {
    return { ...base, cell: (r) => <Text text={compact(get(r))} code />, sortValue: (r) => compact(get(r)) };
  }
  if (type === 'date') {
    return {
      ...base,
      width: '90px',
      cell: (r) => {
        const iso = get(r);
        if (typeof iso !== 'string' || !iso) return NONE;
        return (
          <time dateTime={iso} title={dateTime(iso)}>
            {relative(iso)}
          </time>
        );
      },
      // RFC 3339 in UTC sorts as text; a missing date sorts after every real one.
      sortValue: (r) => compact(get(r)) || '9999',
      filterValue: () => '',
    };
  }
  if (type === 'int') {
    return {
      ...base,
      width: '90px',
      cell: (r) => compact(get(r)) || NONE,
      sortValue: (r) => (typeof get(r) === 'number' ? (get(r) as number) : -1),
    };
  }
  if (type === 'boolean') {
    return {
      ...base,
      width: '90px',
      cell: (r) => (get(r) === true ? 'yes' : get(r) === false ? 'no' : NONE),
      sortValue: (r) => (get(r) === true ? 0 : 1),
      filterValue: () => '',
    };
  }
  const list = /^array\[(.+)\]$/.exec(type);
  if (list) {
    // A list of plain values reads as "a, b, c"; a list of objects (rules) as how many there are.
    if (subtype(list[1]!)) {
      const n = (r: T) => (Array.isArray(get(r)) ? (get(r) as unknown[]).length : 0);
      return { ...base, width: '70px', cell: (r) => n(r), sortValue: n, filterValue: () => '' };
    }
    return { ...base, cell: (r) => <Text text={compact(get(r))} />, sortValue: (r) => compact(get(r)) };
  }
  const map = /^map\[(.+)\]$/.exec(type);
  if (map) {
    // key=value for plain values; only the keys where the values are objects.
    const text = (r: T) => {
      const m = get(r);
      if (!m || typeof m !== 'object') return '';
      const plain = !subtype(map[1]!) && map[1] !== 'json';
      return Object.entries(m)
        .map(([k, v]) => (plain ? `${k}=${compact(v)}` : k))
        .join(', ');
    };
    return { ...base, cell: (r) => <Text text={text(r)} />, sortValue: text };
  }
  if (type === 'json' || subtype(type)) {
    return { ...base, cell: (r) => <Text text={compact(get(r))} code />, filterValue: (r) => compact(get(r)) };
  }
  // string, enum, password (never rendered, so never here)
  return { ...base, cell: (r) => <Text text={compact(get(r))} />, sortValue: (r) => compact(get(r)) };
}

export function schemaColumns<T extends object>(
  type: Pick<TypeDef, 'fields' | 'columns'>,
  options: SchemaColumnsOptions<T> = {},
): Column<T>[] {
  const extra = new Map((options.extra ?? []).map((c) => [c.id, c]));
  const ids = options.columns ?? [...type.columns, ...extra.keys()];
  return ids.map((id) => {
    const column = extra.get(id) ?? fieldColumn<T>(id, type.fields[id] ?? COMMON_FIELDS[id]);
    return { ...column, ...options.override?.[id] };
  });
}
