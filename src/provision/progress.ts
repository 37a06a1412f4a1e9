/** Progress of a long provisioner operation: one line per step and node, with elapsed time. */
export interface Progress {
  step(name: string): void;
  node(label: string, message: string): void;
  warn(message: string): void;
  info(message: string): void;
}

export function consoleProgress(write: (line: string) => void = (l) => process.stderr.write(l)): Progress {
  const t0 = Date.now();
  const stamp = () => `[${((Date.now() - t0) / 1000).toFixed(1).padStart(5)}s]`;
  return {
    step: (name) => write(`${stamp()} == ${name}\n`),
    node: (label, message) => write(`${stamp()}    ${label}: ${message}\n`),
    warn: (message) => write(`${stamp()} WARN ${message}\n`),
    info: (message) => write(`${stamp()}    ${message}\n`),
  };
}

export const silentProgress: Progress = { step() {}, node() {}, warn() {}, info() {} };
