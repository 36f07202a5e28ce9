import { TestBroker, brokerUrl, uniqueQueue } from '../helpers/amqp';
import { runWorker } from '../helpers/worker-process';
import { Ledger, ids } from './helpers/ledger';
import { report } from './helpers/report';

const HEALTHY = 300;
const POISON = 5;
const MAX_ATTEMPTS = 3;

describe('fault: poison messages at the head of the queue', () => {
  let broker: TestBroker;
  const ledgers: Ledger[] = [];
  beforeEach(async () => {
    broker = await TestBroker.open();
  });
  afterEach(async () => {
    await broker.close();
    for (const l of ledgers.splice(0)) l.remove();
  });

  /** Runs one worker over `poison` failing messages followed by HEALTHY good ones; returns seconds and the ledger. */
  async function run(poison: number): Promise<{ seconds: number; ledger: Ledger; queue: string }> {
    const ledger = new Ledger();
    ledgers.push(ledger);
    const queue = uniqueQueue('poison');
    await broker.declare(queue);
    await broker.publishIds(queue, [...ids('poison', poison), ...ids('ok', HEALTHY)]);
    // Poison messages leave a line for every attempt, then fail.
    const program = ledger.program(
      `case "$WQ_MESSAGE_ID" in poison-*) echo "$WQ_MESSAGE_ID attempt $WQ_ATTEMPT" >> "$0"; exit 3;; esac`,
    );
    const started = Date.now();
    const exit = await runWorker(
      [
        '-u',
        brokerUrl(),
        '-q',
        queue,
        '-c',
        String(HEALTHY + poison * MAX_ATTEMPTS),
        '--max-attempts',
        String(MAX_ATTEMPTS),
        '--',
        ...program,
      ],
      {},
      240_000,
    );
    expect(exit.code).toBe(0);
    // nothing left behind in the main queue: every message was acked or dead-lettered
    expect(await broker.count(queue)).toBe(0);
    return { seconds: (Date.now() - started) / 1000, ledger, queue };
  }

  it('dead-letters them after the attempt limit while the healthy messages behind keep flowing', async () => {
    // GIVEN a baseline run without poison, WHEN 5 poison messages sit ahead of 300 healthy ones
    const baseline = await run(0);
    const poisoned = await run(POISON);

    // THEN the poison messages are in the dead-letter queue after exactly 3 attempts each
    const dead = await broker.drain(`${poisoned.queue}.dlq`);
    expect(dead.map((m) => m.properties.messageId).sort()).toEqual(ids('poison', POISON).sort());
    for (const m of dead) expect(m.properties.headers?.['x-wq-attempts']).toBe(MAX_ATTEMPTS);
    // AND every healthy message was processed, and healthy ones ran between the poison retries
    const entries = poisoned.ledger.entries();
    expect(poisoned.ledger.check(ids('ok', HEALTHY), ids('poison', POISON)).missing).toEqual([]);
    const lastPoison = entries.map((e) => e.id.startsWith('poison-')).lastIndexOf(true);
    const healthyBeforeLastPoison = entries.slice(0, lastPoison).filter((e) => e.id.startsWith('ok-')).length;
    expect(healthyBeforeLastPoison).toBeGreaterThan(0);
    report('poison at head', {
      healthy: HEALTHY,
      poison: POISON,
      maxAttempts: MAX_ATTEMPTS,
      baselineSeconds: baseline.seconds.toFixed(2),
      withPoisonSeconds: poisoned.seconds.toFixed(2),
      delaySeconds: (poisoned.seconds - baseline.seconds).toFixed(2),
      healthyDoneBeforeLastPoisonAttempt: healthyBeforeLastPoison,
    });
  });
});
