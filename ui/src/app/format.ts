/** Display helpers for quantities and times. */

import { quantityNumber } from '../../../src/schema/quantity.js';

export function formatCpu(q: string | undefined | null): string {
  const n = quantityNumber(q);
  if (n === undefined) return '—';
  return Number.isInteger(n) ? String(n) : n.toFixed(2).replace(/\.?0+$/, '');
}

export function formatBytes(q: string | undefined | null): string {
  const n = quantityNumber(q);
  if (n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 || i === 0 ? Math.round(v) : v.toFixed(1)} ${units[i]}`;
}

export function formatCount(q: string | undefined | null): string {
  const n = quantityNumber(q);
  return n === undefined ? '—' : n.toLocaleString('en-US');
}

/** "3m", "5h", "2d": how long ago, as kubectl prints ages. */
export function age(iso: string | undefined | null, now = Date.now()): string {
  if (!iso) return '—';
  const s = Math.max(0, Math.floor((now - Date.parse(iso)) / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m`;
  if (s < 86400) return `${Math.floor(s / 3600)}h`;
  return `${Math.floor(s / 86400)}d`;
}

/** How long ago as `age` says it ("3m"), or how long until a time still to come ("in 29d"). */
export function relative(iso: string | undefined | null, now = Date.now()): string {
  if (!iso) return '—';
  const t = Date.parse(iso);
  if (Number.isNaN(t)) return iso;
  return t > now ? `in ${age(new Date(now).toISOString(), t)}` : age(iso, now);
}

export function dateTime(iso: string | undefined | null): string {
  if (!iso) return '—';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : d.toLocaleString();
}

/** Saves text as a file through a temporary object URL (no server round trip, CSP-safe). */
export function downloadText(filename: string, text: string, type = 'application/yaml'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = document.createElement('a');
  a.href = url;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}
