/** A usage mistake found after parsing the command line (exit code 2); main prints its message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
