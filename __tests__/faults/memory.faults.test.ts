import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokerUrl, uniqueQueue } from '../helpers/amqp';
import { runWorker } from '../helpers/worker-process';
import { useFaultFixture } from './helpers/fault-fixture';
import { ids } from './helpers/ledger';
import { report } from './helpers/report';

const TOTAL = 100_000;
const EARLY = 10_000;

describe('fault: a long run through one worker', () => {
  const f = useFaultFixture();

  it('keeps resident memory after 100,000 messages within 10% of what it was after 10,000', async () => {
    // GIVEN 100,000 messages and an in-process handler that notes the worker's memory at
    // messages 10,000 and 100,000 (after a full GC, so only what is kept counts)
    const queue = uniqueQueue('memory');
    await f.broker.declare(queue);
    await f.broker.publishIds(queue, ids('m', TOTAL), () => 'x'.repeat(100));
    const out = join(f.ledger.dir, 'rss.json');
    const handler = join(f.ledger.dir, 'handler.js');
    writeFileSync(
      handler,
      `let n = 0; const rss = {};
       module.exports = async () => { n += 1; if (n === ${EARLY} || n === ${TOTAL}) { global.gc(); rss[n] = process.memoryUsage().rss; require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(rss)); } };`,
    );

    // WHEN one worker handles all of them
    const started = Date.now();
    const exit = await runWorker(['-u', brokerUrl(), '-q', queue, '-c', String(TOTAL), '--concurrency', '16', '--module', handler], { NODE_OPTIONS: '--expose-gc' }, 280_000);
    const seconds = (Date.now() - started) / 1000;

    // THEN it processed them all, and its memory did not grow with the message count
    expect(exit.code).toBe(0);
    expect(exit.stderr).not.toMatch(/Warning/); // e.g. one abort listener per attempt past 10
    expect(await f.broker.count(queue)).toBe(0);
    const rss = JSON.parse(readFileSync(out, 'utf8')) as Record<string, number>;
    const growth = rss[TOTAL] / rss[EARLY];
    report('100,000 messages, one worker', {
      rssAfter10kMiB: (rss[EARLY] / 2 ** 20).toFixed(1),
      rssAfter100kMiB: (rss[TOTAL] / 2 ** 20).toFixed(1),
      ratio: growth.toFixed(3),
      messagesPerSecond: Math.round(TOTAL / seconds),
    });
    expect(growth).toBeLessThanOrEqual(1.1);
  });
});
