/** A provisioner failure whose message says what to fix; `problems` lists every node's problems together. */
export class ProvisionError extends Error {
  constructor(
    message: string,
    readonly problems: string[] = [],
  ) {
    super(problems.length ? `${message}:\n${problems.map((p) => `  - ${p}`).join('\n')}` : message);
    this.name = 'ProvisionError';
  }
}
