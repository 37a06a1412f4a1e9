/**
 * What the provisioner needs from a node: run a shell command, write and read files. The SSH
 * connection implements it for real nodes; a local implementation runs the same code on this host.
 */
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  /** Written to the command's stdin, then closed. */
  input?: string | Buffer;
  /** Kill the command and fail after this long. */
  timeoutMs?: number;
}

export interface NodeIo {
  /** A label for messages, e.g. "10.77.0.11 (node-1)". */
  readonly label: string;
  /** Runs `command` with /bin/sh -c; never throws for a non-zero exit. */
  run(command: string, options?: RunOptions): Promise<RunResult>;
  /** Atomically (temporary name, then rename) writes a file, creating parent folders. */
  writeFile(path: string, content: string | Buffer, mode: number): Promise<void>;
  /** The file's content, or null when it does not exist. */
  readFile(path: string): Promise<Buffer | null>;
}
