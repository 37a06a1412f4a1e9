import type { ConfigIssue } from './types.js';

/** `cluster.yml:12:5: nodes[1].role: message` — the form every problem is shown in. */
export function formatIssue(fileName: string, issue: ConfigIssue): string {
  return `${fileName}:${issue.line}:${issue.column}: ${issue.path ? `${issue.path}: ` : ''}${issue.message}`;
}

/** cluster.yml is wrong: every problem found, each with its place in the file. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(
    readonly fileName: string,
    readonly issues: ConfigIssue[],
  ) {
    const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
    super(`${fileName} has ${count}:\n${issues.map((i) => `  ${formatIssue(fileName, i)}`).join('\n')}`);
  }
}

/** Levenshtein distance, for "did you mean" on misspelt keys and values. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The closest candidate when it is close enough to be a likely typo. */
export function nearest(word: string, candidates: Iterable<string>): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const c of candidates) {
    const d = distance(word.toLowerCase(), c.toLowerCase());
    if (d < bestD) [best, bestD] = [c, d];
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}
