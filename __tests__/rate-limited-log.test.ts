import { RateLimitedLog, REPEAT_LOG_SECONDS } from '../worker/observability/rate-limited-log';

describe('repeating failures in the worker log', () => {
  it('are logged once per period per kind, with the number left out', () => {
    // GIVEN a log and a clock the test moves
    const lines: string[] = [];
    let now = 0;
    const log = new RateLimitedLog({ info: (m) => lines.push(m), error: (m) => lines.push(m) }, () => now);

    // WHEN the same failure repeats 1000 times within one period, another kind once, then the first after it
    for (let i = 0; i < 1000; i++) log.error('refused', `copy refused #${i}`);
    log.error('other', 'other failure');
    now += REPEAT_LOG_SECONDS * 1000;
    log.error('refused', 'copy refused again');

    // THEN three lines: the first, the other kind, and the next one saying how many were left out
    expect(lines).toEqual([
      'copy refused #0',
      'other failure',
      `copy refused again (999 more like this in the last ${REPEAT_LOG_SECONDS} s)`,
    ]);
  });
});
