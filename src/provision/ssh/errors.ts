export type SshErrorCode =
  | 'Unreachable'
  | 'Timeout'
  | 'AuthFailed'
  | 'HostKeyUnknown'
  | 'HostKeyMismatch'
  | 'KeyUnreadable'
  | 'CommandFailed'
  | 'SudoRefused';

export interface SshErrorDetails {
  /** The node's label, e.g. "10.77.0.11 (node-1)". */
  node?: string;
  /** CommandFailed: the command's exit status. */
  exitCode?: number;
  /** CommandFailed: the last lines of its standard error. */
  stderrTail?: string;
  /** connectAll: every node that failed, when several did. */
  failures?: SshError[];
  cause?: unknown;
}

/**
 * Everything that goes wrong talking to a node. The message names the node and says what to fix;
 * `code` lets callers decide (for example, offer `--accept-new-host-keys` on HostKeyUnknown).
 */
export class SshError extends Error {
  readonly code: SshErrorCode;
  readonly node: string | undefined;
  readonly exitCode: number | undefined;
  readonly stderrTail: string | undefined;
  readonly failures: SshError[];

  constructor(code: SshErrorCode, message: string, details: SshErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'SshError';
    this.code = code;
    this.node = details.node;
    this.exitCode = details.exitCode;
    this.stderrTail = details.stderrTail;
    this.failures = details.failures ?? [];
  }
}
