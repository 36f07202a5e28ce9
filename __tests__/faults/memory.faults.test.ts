import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokerUrl, uniqueQueue } from '../helpers/amqp';
import { runWorker } from '../helpers/worker-process';
import { useFaultFixture } from './helpers/fault-fixture';
import { ids } from './helpers/ledger';
import { report } from './helpers/report';

const TOTAL = 100_000;
const EARLY = 10_000;
/** Spawn mode starts a process per message: fewer messages, the same comparison. */
const SPAWN_TOTAL = 20_000;
const SPAWN_EARLY = 4_000;
/** Spawn mode's memory is read without a GC forced in the worker, so it is given more room. */
const SPAWN_MAX_GROWTH = 1.2;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

describe('fault: a long run through one worker', () => {
  const f = useFaultFixture();

  it('keeps resident memory after 100,000 messages within 10% of what it was after 10,000', async () => {
    // GIVEN 100,000 messages and an in-process handler that reads the worker's resident memory
    // (after a full GC, so only what is kept counts) five times, every 500 messages, from message
    // 10,000 on and up to message 100,000; the median of each five is the reading
    const queue = uniqueQueue('memory');
    await f.broker.declare(queue);
    await f.broker.publishIds(queue, ids('m', TOTAL), () => 'x'.repeat(100));
    const out = join(f.ledger.dir, 'rss.json');
    const handler = join(f.ledger.dir, 'handler.js');
    const early = [0, 1, 2, 3, 4].map((i) => EARLY + 500 * i);
    const late = [4, 3, 2, 1, 0].map((i) => TOTAL - 500 * i);
    writeFileSync(
      handler,
      `let n = 0; const early = ${JSON.stringify(early)}, late = ${JSON.stringify(late)}, rss = { early: [], late: [] };
       module.exports = async () => {
         n += 1;
         const at = early.includes(n) ? 'early' : late.includes(n) ? 'late' : undefined;
         if (!at) return;
         global.gc();
         rss[at].push(process.memoryUsage().rss);
         if (n === ${TOTAL}) require('fs').writeFileSync(${JSON.stringify(out)}, JSON.stringify(rss));
       };`,
    );

    // WHEN one worker handles all of them
    const started = Date.now();
    const exit = await runWorker(
      ['-u', brokerUrl(), '-q', queue, '-c', String(TOTAL), '--concurrency', '16', '--module', handler],
      { NODE_OPTIONS: '--expose-gc' },
      280_000,
    );
    const seconds = (Date.now() - started) / 1000;

    // THEN it processed them all, and its memory did not grow with the message count
    expect(exit.code).toBe(0);
    expect(exit.stderr).not.toMatch(/Warning/); // e.g. one abort listener per attempt past 10
    expect(await f.broker.count(queue)).toBe(0);
    const rss = JSON.parse(readFileSync(out, 'utf8')) as { early: number[]; late: number[] };
    const [after10k, after100k] = [median(rss.early), median(rss.late)];
    const growth = after100k / after10k;
    report('100,000 messages, one worker', {
      rssAfter10kMiB: (after10k / 2 ** 20).toFixed(1),
      rssAfter100kMiB: (after100k / 2 ** 20).toFixed(1),
      ratio: growth.toFixed(3),
      messagesPerSecond: Math.round(TOTAL / seconds),
    });
    expect(growth).toBeLessThanOrEqual(1.1);
  });

  it(`keeps the RSS of the worker and its wq-spawn helpers flat over ${SPAWN_TOTAL} spawn-mode messages`, async () => {
    // GIVEN 20,000 messages and a program that, for five messages every 250 from message 4,000 on and
    // five up to message 20,000, records the summed resident memory of the worker (its parent's parent)
    // and the worker's child processes (the wq-spawn helpers) and the name of its own parent
    const queue = uniqueQueue('memory-spawn');
    await f.broker.declare(queue);
    await f.broker.publishIds(queue, ids('m', SPAWN_TOTAL), () => 'x'.repeat(100));
    const early = [0, 1, 2, 3, 4].map((i) => `m-${SPAWN_EARLY + 250 * i - 1}`);
    const late = [4, 3, 2, 1, 0].map((i) => `m-${SPAWN_TOTAL - 250 * i - 1}`);
    const out = join(f.ledger.dir, 'rss');
    const program = `case " ${[...early, ...late].join(' ')} " in *" $WQ_MESSAGE_ID "*)
      w=$(cut -d' ' -f4 /proc/$PPID/stat); kb=0
      for p in $w $(cat /proc/$w/task/*/children); do
        r=$(awk '/^VmRSS/{print $2}' /proc/$p/status 2>/dev/null); kb=$((kb + \${r:-0}))
      done
      echo "$WQ_MESSAGE_ID $kb $(cat /proc/$PPID/comm) $(cat /proc/$w/task/*/children | wc -w)" >> "$0";; esac`;

    // WHEN one worker runs a program per message, four at a time
    const started = Date.now();
    const exit = await runWorker(
      ['-u', brokerUrl(), '-q', queue, '-c', String(SPAWN_TOTAL), '--concurrency', '4', '--', 'sh', '-c', program, out],
      {},
      280_000,
    );
    const seconds = (Date.now() - started) / 1000;

    // THEN it processed them all through the helpers, and the memory did not grow with the message count
    expect(exit.code).toBe(0);
    expect(await f.broker.count(queue)).toBe(0);
    const lines = readFileSync(out, 'utf8')
      .trim()
      .split('\n')
      .map((l) => l.split(' '));
    expect(lines.map(([id]) => id).sort()).toEqual([...early, ...late].sort());
    expect(new Set(lines.map(([, , parent]) => parent))).toEqual(new Set(['wq-spawn']));
    const kib = (which: string[]) => which.map((id) => Number(lines.find(([l]) => l === id)![1]) * 1024);
    const [afterEarly, afterAll] = [median(kib(early)), median(kib(late))];
    const growth = afterAll / afterEarly;
    report('20,000 messages, one worker, spawn mode with wq-spawn helpers', {
      rssAfter4kMiB: (afterEarly / 2 ** 20).toFixed(1),
      rssAfter20kMiB: (afterAll / 2 ** 20).toFixed(1),
      ratio: growth.toFixed(3),
      processesCounted: `worker + ${Math.max(...lines.map(([, , , children]) => Number(children)))} helper(s)`,
      messagesPerSecond: Math.round(SPAWN_TOTAL / seconds),
    });
    expect(growth).toBeLessThanOrEqual(SPAWN_MAX_GROWTH);
  });
});
