/** A failure the command reports in one line and exits on; `exitCode` 2 is a usage error. */
export class OptimizeError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'OptimizeError';
  }
}
