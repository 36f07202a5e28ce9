/** Bad command-line input: reported as one line, exit status 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** A condition the worker cannot recover from (bad credentials, broker unreachable): one line, exit status 1. */
export class FatalError extends Error {
  override readonly name = 'FatalError';
}
