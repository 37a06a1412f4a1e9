import { createRequire } from 'node:module';

/**
 * The yaml package, loaded on first use: it costs about as much as starting Node.js, and most runs
 * (`--help`, table and JSON output, a JSON config file) never need it.
 */
export function yaml(): typeof import('yaml') {
  return createRequire(import.meta.url)('yaml') as typeof import('yaml');
}

export type OutputFormat = 'table' | 'json' | 'yaml';
export const OUTPUT_FORMATS: OutputFormat[] = ['table', 'json', 'yaml'];

export interface Column<T> {
  header: string;
  value: (row: T) => string | number | undefined;
}

export function renderTable<T>(rows: T[], columns: Column<T>[]): string {
  const cells = rows.map((r) => columns.map((c) => String(c.value(r) ?? '')));
  const widths = columns.map((c, i) => Math.max(c.header.length, ...cells.map((row) => row[i]?.length ?? 0)));
  const line = (values: string[]) =>
    values
      .map((v, i) => (i === values.length - 1 ? v : v.padEnd(widths[i] ?? 0)))
      .join('   ')
      .trimEnd();
  return [line(columns.map((c) => c.header.toUpperCase())), ...cells.map(line)].join('\n') + '\n';
}

/** Prints a listing in the format asked for with -o; `quiet` prints only the first column. */
export function printListing<T>(
  rows: T[],
  columns: Column<T>[],
  opts: { output: OutputFormat; quiet?: boolean },
): void {
  if (opts.quiet) {
    for (const r of rows) process.stdout.write(`${columns[0]?.value(r) ?? ''}\n`);
    return;
  }
  switch (opts.output) {
    case 'json':
      process.stdout.write(JSON.stringify(rows, null, 2) + '\n');
      return;
    case 'yaml':
      process.stdout.write(yaml().stringify(rows));
      return;
    case 'table':
      process.stdout.write(renderTable(rows, columns));
  }
}
