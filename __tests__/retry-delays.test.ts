import { retryDelayMs, retryDelaysProblem, retryLadder } from '../worker/consumer/retry-delays';

const NAMES = { delay: '--retry-delay', backoff: '--retry-backoff', max: '--max-retry-delay' };
const d = (retryDelaySeconds: number, retryBackoff = 2, maxRetryDelaySeconds = 3600) => ({
  retryDelaySeconds,
  retryBackoff,
  maxRetryDelaySeconds,
});

describe('retry delays: delay x backoff^(n-1), capped, one delay queue per distinct delay', () => {
  it('gives the n-th retry its delay exactly, no jitter, capped at the maximum', () => {
    expect([1, 2, 3, 4, 5].map((n) => retryDelayMs(d(10, 2, 60), n))).toEqual([10000, 20000, 40000, 60000, 60000]);
    expect(retryDelayMs(d(0), 3)).toBe(0);
    expect(retryDelayMs(d(1, 2, 3600), 10_000)).toBe(3_600_000); // no overflow past the cap
  });

  it('builds a bounded ladder: the retries that can happen, or up to the cap', () => {
    expect(retryLadder(d(10, 2, 60), 3)).toEqual([10000, 20000]); // 3 attempts: 2 retries
    expect(retryLadder(d(10, 2, 60), 0)).toEqual([10000, 20000, 40000, 60000]); // forever: up to the cap
    expect(retryLadder(d(5, 1), 0)).toEqual([5000]); // backoff 1: one delay queue
    expect(retryLadder(d(0), 0)).toEqual([]);
    expect(retryLadder(d(1, 2, 3600), 0)).toHaveLength(13); // 1 s .. 2048 s, then 3600 s
  });

  it('refuses what would need too many delay queues, or is no delay at all', () => {
    expect(retryDelaysProblem(d(1), 0, NAMES)).toBeUndefined();
    expect(retryDelaysProblem(d(0.001, 1.01), 0, NAMES)).toMatch(/need more than 32 delay queues/);
    expect(retryDelaysProblem(d(0.001, 1.01), 5, NAMES)).toBeUndefined(); // only 4 retries
    expect(retryDelaysProblem(d(-1), 5, NAMES)).toBe("--retry-delay must be a number of at least 0 seconds, not '-1'");
    expect(retryDelaysProblem(d(1, 0.5), 5, NAMES)).toBe("--retry-backoff must be a number of at least 1, not '0.5'");
    expect(retryDelaysProblem(d(1, 2, 0), 5, NAMES)).toMatch(/--max-retry-delay must be a number of at least 0.001/);
    expect(retryDelaysProblem(d(1, 2, 5_000_000), 5, NAMES)).toMatch(/at most 4294967 seconds/);
    // A first delay above the cap would be cut to the cap without a word.
    expect(retryDelaysProblem(d(10, 2, 1), 5, NAMES)).toBe(
      '--retry-delay 10 is longer than --max-retry-delay 1, which caps every delay: lower the first or raise the cap',
    );
  });
});
