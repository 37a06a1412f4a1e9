/**
 * The table every list uses: virtualized (only the visible rows are in the DOM, so 10,000 rows cost
 * what 30 do), sortable by clicking a header, filtered by one text box, with a "shown of total"
 * count. It is a real <table>; the rows above and below the window are replaced by two spacer rows
 * and aria-rowcount/aria-rowindex tell assistive technology where the visible rows sit.
 *
 * Sort keys and filter text are computed once per row object and cached by identity: a live list
 * replaces only the objects that changed, so an update of one row in 10,000 recomputes one key.
 */
import { useVirtualizer } from '@tanstack/react-virtual';
import {
  useCallback,
  useDeferredValue,
  useId,
  useMemo,
  useRef,
  useState,
  type KeyboardEvent,
  type ReactNode,
} from 'react';
import './DataTable.css';

export interface Column<T> {
  id: string;
  header: string;
  cell: (row: T) => ReactNode;
  sortValue?: (row: T) => string | number;
  filterValue?: (row: T) => string;
  width?: string;
}

export interface DataTableProps<T> {
  rows: T[];
  columns: Column<T>[];
  rowKey: (row: T) => string;
  label: string;
  initialSort?: { id: string; desc?: boolean };
  emptyText?: string;
  toolbar?: ReactNode;
}

const ROW_HEIGHT = 32;
const OVERSCAN = 12;
const count = (n: number) => n.toLocaleString('en-US');

/**
 * A string that sorts "naturally" under plain comparison: case folded, and every run of digits
 * padded so pod-9 comes before pod-10. Computed once per row; comparing such keys is far cheaper
 * than a collator, which matters when a live list of 10,000 is re-sorted every frame.
 */
function naturalKey(v: string | number): string | number {
  if (typeof v === 'number') return v;
  return v.toLowerCase().replace(/\d+/g, (d) => d.padStart(16, '0'));
}

function compare(a: string | number, b: string | number): number {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'number') return -1;
  if (typeof b === 'number') return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** A function of a row, computed at most once per row object. */
function memoByRow<T extends object, V>(get: (row: T) => V): (row: T) => V {
  const cache = new WeakMap<T, V>();
  return (row: T) => {
    let v = cache.get(row);
    if (v === undefined) {
      v = get(row);
      cache.set(row, v);
    }
    return v;
  };
}

export function DataTable<T extends object>(props: DataTableProps<T>) {
  const { rows, columns, rowKey, label, emptyText = 'Nothing here.', toolbar } = props;
  const [sort, setSort] = useState<{ id: string; desc: boolean } | null>(
    props.initialSort ? { id: props.initialSort.id, desc: !!props.initialSort.desc } : null,
  );
  const [filter, setFilter] = useState('');
  // Typing stays responsive: the filter applies in a background render.
  const deferredFilter = useDeferredValue(filter);
  const filterId = useId();
  const scrollRef = useRef<HTMLDivElement>(null);
  const [activeIndex, setActiveIndex] = useState(0);

  const filterText = useMemo(
    () =>
      memoByRow((row: T) =>
        columns
          .map((c) => (c.filterValue ? c.filterValue(row) : c.sortValue ? String(c.sortValue(row)) : ''))
          .join('\u0000')
          .toLowerCase(),
      ),
    [columns],
  );
  const sortColumn = sort ? columns.find((c) => c.id === sort.id) : undefined;
  const sortKey = useMemo(() => {
    const get = sortColumn?.sortValue;
    return get ? memoByRow((row: T) => naturalKey(get(row))) : null;
  }, [sortColumn]);

  const filtered = useMemo(() => {
    const terms = deferredFilter.toLowerCase().split(/\s+/).filter(Boolean);
    if (!terms.length) return rows;
    return rows.filter((row) => {
      const text = filterText(row);
      return terms.every((t) => text.includes(t));
    });
  }, [rows, deferredFilter, filterText]);

  const shown = useMemo(() => {
    if (!sortKey) return filtered;
    const dir = sort?.desc ? -1 : 1;
    const keyed = filtered.map((row) => ({ row, key: sortKey(row) }));
    keyed.sort((a, b) => dir * compare(a.key, b.key));
    return keyed.map((k) => k.row);
  }, [filtered, sortKey, sort?.desc]);

  const virtualizer = useVirtualizer({
    count: shown.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: OVERSCAN,
    // Render the first rows before the first measurement arrives.
    initialRect: { width: 1200, height: 600 },
    getItemKey: (i) => rowKey(shown[i]!),
  });

  const toggleSort = (col: Column<T>) => {
    if (!col.sortValue) return;
    setSort((s) => (s?.id === col.id ? { id: col.id, desc: !s.desc } : { id: col.id, desc: false }));
  };

  const focusRow = useCallback(
    (index: number) => {
      const i = Math.max(0, Math.min(shown.length - 1, index));
      setActiveIndex(i);
      virtualizer.scrollToIndex(i, { align: 'auto' });
      // The row exists once the virtualizer has rendered it.
      requestAnimationFrame(() =>
        scrollRef.current?.querySelector<HTMLElement>(`tr[data-index="${i}"]`)?.focus({ preventScroll: true }),
      );
    },
    [shown.length, virtualizer],
  );

  // Arrow keys, Page keys, Home and End move between rows; Tab leaves the table; Enter follows the
  // row's first link or button.
  const onKeyDown = (e: KeyboardEvent<HTMLDivElement>) => {
    const target = e.target as HTMLElement;
    const inRow = target.tagName === 'TR';
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 600) / ROW_HEIGHT) - 1);
    const current = inRow ? Number(target.dataset.index) : activeIndex;
    const moves: Record<string, number> = {
      ArrowDown: current + (inRow ? 1 : 0),
      ArrowUp: current - 1,
      PageDown: current + page,
      PageUp: current - page,
      Home: 0,
      End: shown.length - 1,
    };
    if (e.key in moves && (inRow || target === scrollRef.current) && shown.length) {
      e.preventDefault();
      focusRow(moves[e.key]!);
    } else if (e.key === 'Enter' && inRow) {
      const action = target.querySelector<HTMLElement>('a, button');
      if (action) {
        e.preventDefault();
        action.click();
      }
    }
  };

  const items = virtualizer.getVirtualItems();
  const total = virtualizer.getTotalSize();
  const before = items.length ? items[0]!.start : 0;
  const after = items.length ? total - items[items.length - 1]!.end : 0;
  const colSpan = columns.length;

  return (
    <div className="data-table">
      <div className="data-table-toolbar">
        <label htmlFor={filterId} className="data-table-filter-label">
          Filter
        </label>
        <input
          id={filterId}
          type="search"
          className="data-table-filter"
          value={filter}
          placeholder={`Filter ${label.toLowerCase()}`}
          aria-controls={`${filterId}-table`}
          onChange={(e) => setFilter(e.target.value)}
        />
        <span className="data-table-count">
          {count(shown.length)} of {count(rows.length)}
        </span>
        {toolbar}
      </div>
      <div
        ref={scrollRef}
        className="data-table-scroll"
        tabIndex={0}
        role="region"
        aria-label={`${label} table, use arrow keys to move between rows`}
        onKeyDown={onKeyDown}
      >
        <table id={`${filterId}-table`} aria-label={label} aria-rowcount={shown.length + 1}>
          <colgroup>
            {columns.map((c) => (
              <col key={c.id} style={c.width ? { width: c.width } : undefined} />
            ))}
          </colgroup>
          <thead>
            <tr aria-rowindex={1}>
              {columns.map((c) => {
                const sorted = sort?.id === c.id ? (sort.desc ? 'descending' : 'ascending') : undefined;
                return (
                  <th key={c.id} scope="col" aria-sort={c.sortValue ? (sorted ?? 'none') : undefined}>
                    {c.sortValue ? (
                      <button type="button" className="data-table-sort" onClick={() => toggleSort(c)}>
                        {c.header}
                        <span aria-hidden="true" className="data-table-sort-mark">
                          {sorted === 'ascending' ? '▲' : sorted === 'descending' ? '▼' : ''}
                        </span>
                      </button>
                    ) : (
                      c.header
                    )}
                  </th>
                );
              })}
            </tr>
          </thead>
          <tbody>
            {before > 0 && (
              <tr aria-hidden="true" className="data-table-spacer" style={{ height: before }}>
                <td colSpan={colSpan} />
              </tr>
            )}
            {items.map((item) => {
              const row = shown[item.index]!;
              return (
                <tr
                  key={item.key}
                  data-index={item.index}
                  aria-rowindex={item.index + 2}
                  tabIndex={item.index === activeIndex ? 0 : -1}
                  onFocus={() => setActiveIndex(item.index)}
                  style={{ height: ROW_HEIGHT }}
                >
                  {columns.map((c) => (
                    <td key={c.id}>{c.cell(row)}</td>
                  ))}
                </tr>
              );
            })}
            {after > 0 && (
              <tr aria-hidden="true" className="data-table-spacer" style={{ height: after }}>
                <td colSpan={colSpan} />
              </tr>
            )}
            {shown.length === 0 && (
              <tr>
                <td colSpan={colSpan} className="data-table-empty">
                  {rows.length ? 'No rows match the filter.' : emptyText}
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </div>
  );
}
