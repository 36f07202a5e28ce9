import type { Logger } from './logger';

/** Seconds between two lines about the same repeating failure. */
export const REPEAT_LOG_SECONDS = 10;

/**
 * Logs a failure that may repeat (a message that keeps failing to be published) at most once per
 * REPEAT_LOG_SECONDS per kind, saying how many like it were left out meanwhile.
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  /** Logs `message` unless a line of the same `kind` was logged less than REPEAT_LOG_SECONDS ago. */
  error(kind: string, message: string): void {
    const now = this.now();
    const seen = this.last.get(kind);
    if (seen && now - seen.at < REPEAT_LOG_SECONDS * 1000) {
      seen.suppressed += 1;
      return;
    }
    const more = seen?.suppressed ? ` (${seen.suppressed} more like this in the last ${REPEAT_LOG_SECONDS} s)` : '';
    this.last.set(kind, { at: now, suppressed: 0 });
    // Kinds are few; stay bounded anyway.
    if (this.last.size > 100) this.last.delete(this.last.keys().next().value as string);
    this.log.error(`${message}${more}`);
  }
}
