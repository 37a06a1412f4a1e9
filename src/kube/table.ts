/**
 * Kubernetes' Table output (`Accept: application/json;as=Table;v=v1;g=meta.k8s.io`): the API server
 * prints each object into the cells `kubectl get` shows and sends rows instead of objects. A list
 * view of 10,000 pods needs about 2.5 MB of rows instead of 40 MB of pods, most of it
 * `managedFields`, and the API server spends its time printing instead of encoding JSON.
 *
 * Shared by the server (watch events, `src/server/ui`) and the web UI (lists), so both turn a Table
 * into the same row objects. No Node.js imports here.
 */

/** What to ask for: a Table, or plain JSON from a server that cannot print one. */
export const TABLE_ACCEPT = 'application/json;as=Table;v=v1;g=meta.k8s.io, application/json';

export interface TableColumn {
  name: string;
  /** OpenAPI type: string, integer, number, boolean, date. */
  type: string;
  /** `name` marks the object's name column. */
  format: string;
  description?: string;
  /** 0: shown by `kubectl get`; higher: only with `-o wide`. */
  priority: number;
}

interface TableRow {
  cells: unknown[];
  object?: { metadata?: Record<string, unknown> } | null;
}

export interface Table {
  kind?: string;
  columnDefinitions?: TableColumn[] | null;
  rows?: TableRow[] | null;
  metadata?: { resourceVersion?: string; continue?: string };
}

/** One row as a list view keeps it: who it is, and the cells the API server printed. */
export interface RowObject {
  metadata: {
    name: string;
    namespace?: string;
    uid?: string;
    resourceVersion?: string;
    creationTimestamp?: string;
  };
  cells: unknown[];
}

/**
 * Rows of a Table. A row carries its object's metadata when asked with `includeObject=Metadata`
 * (watch events: the resourceVersion to resume from); with `includeObject=None` (a namespace's list,
 * a sixteenth of the bytes) only the cells, so the name comes from the name column, the namespace
 * from the caller, who listed one namespace, and the creation time from the printed age (as
 * precise as kubectl prints it: to the second for young objects, to the hour for old ones), so
 * ages keep counting and sort.
 */
export function tableRows(table: Table, namespace?: string, now = Date.now()): RowObject[] {
  const columns = table.columnDefinitions ?? [];
  const nameAt = Math.max(
    0,
    columns.findIndex((c) => c.format === 'name'),
  );
  const ageAt = columns.findIndex((c) => c.name === 'Age');
  const rows: RowObject[] = [];
  for (const row of table.rows ?? []) {
    const m = row.object?.metadata;
    const name = typeof m?.name === 'string' ? m.name : String(row.cells[nameAt] ?? '');
    // A bookmark arrives as a Table with one empty row.
    if (!name) continue;
    const metadata: RowObject['metadata'] = { name };
    const ns = typeof m?.namespace === 'string' ? m.namespace : namespace;
    if (ns) metadata.namespace = ns;
    if (typeof m?.uid === 'string') metadata.uid = m.uid;
    if (typeof m?.resourceVersion === 'string') metadata.resourceVersion = m.resourceVersion;
    if (typeof m?.creationTimestamp === 'string') metadata.creationTimestamp = m.creationTimestamp;
    else if (ageAt >= 0) {
      const seconds = parseShortDuration(String(row.cells[ageAt] ?? ''));
      if (seconds !== undefined) metadata.creationTimestamp = new Date(now - seconds * 1000).toISOString();
    }
    rows.push({ metadata, cells: row.cells });
  }
  return rows;
}

const UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, y: 31_536_000 };

/**
 * Seconds in a duration as Kubernetes prints it ("45s", "5m3s", "2d4h", "3y45d"); undefined for
 * anything else ("<unknown>", "<invalid>").
 */
export function parseShortDuration(text: string): number | undefined {
  if (!/^(\d+[smhdy])+$/.test(text)) return undefined;
  let total = 0;
  for (const [, n, unit] of text.matchAll(/(\d+)([smhdy])/g)) total += Number(n) * UNITS[unit!]!;
  return total;
}
