/** Capped exponential backoff with full jitter, so a fleet does not reconnect in lockstep. */
export class Backoff {
  private attempt = 0;

  constructor(
    private readonly baseMs = 500,
    // 5 s: a fleet is back at most ~5 s after its broker, and one attempt per worker every
    // 2.5-5 s costs a down broker next to nothing. (It was 30 s: workers sat idle ~20 s after a restart.)
    private readonly capMs = 5_000,
  ) {}

  next(): number {
    const ceiling = Math.min(this.capMs, this.baseMs * 2 ** this.attempt);
    this.attempt += 1;
    return ceiling / 2 + Math.random() * (ceiling / 2);
  }

  reset(): void {
    this.attempt = 0;
  }
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
