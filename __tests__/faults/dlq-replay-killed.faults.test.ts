import { spawn } from 'node:child_process';
import { brokerUrl, uniqueQueue } from '../helpers/amqp';
import { CLI_BIN } from '../helpers/cli-process';
import { REPLAY_WINDOW } from '../../cli/commands/dlq';
import { waitFor } from '../helpers/wait-for';
import { useFaultFixture } from './helpers/fault-fixture';
import { ids } from './helpers/ledger';
import { report } from './helpers/report';

describe('fault: workqueue dlq replay killed with SIGKILL half-way', () => {
  const f = useFaultFixture();

  it('loses no dead letter: each is in the queue, still dead, or (if in flight) in both', async () => {
    // GIVEN 20,000 dead letters
    const queue = uniqueQueue('replay-kill');
    await f.broker.declare(queue);
    await f.broker.declare(`${queue}.dlq`);
    const expected = ids('d', 20_000);
    await f.broker.publishIds(`${queue}.dlq`, expected);

    // WHEN a replay is SIGKILLed once it showed its progress and about 5,000 are back in the queue
    const started = Date.now();
    const replay = spawn(process.execPath, [CLI_BIN, 'dlq', 'replay', '-q', queue, '-u', brokerUrl()], {
      env: { ...process.env, AMQP_URL: undefined },
    });
    let stderr = '';
    replay.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise((resolve) => replay.on('close', resolve));
    try {
      const progressShown = () => /replaying: \d+ of 20000/.test(stderr);
      await waitFor(
        'progress and 5,000 replayed',
        async () => progressShown() && (await f.broker.count(queue)) >= 5000,
        120_000,
        5,
      );
    } finally {
      replay.kill('SIGKILL');
      await exited;
    }
    const killedAfterMs = Date.now() - started;

    // THEN every dead letter is in the queue or still in the dead-letter queue; duplicates only from the kill
    await waitFor('the killed channel to hand back its unacked dead letters', async () => {
      const [live, dead] = [await f.broker.count(queue), await f.broker.count(`${queue}.dlq`)];
      return live + dead >= expected.length;
    });
    const live = await f.broker.drain(queue);
    const dead = await f.broker.drain(`${queue}.dlq`);
    const seen = [...live, ...dead].map((m) => String(m.properties.messageId));
    const missing = expected.filter((id) => !new Set(seen).has(id));
    const duplicates = seen.length - new Set(seen).size;
    expect(missing).toEqual([]);
    // At most the copies in flight (confirmed, their dead letters' acks not yet sent) are in both queues.
    expect(duplicates).toBeLessThanOrEqual(REPLAY_WINDOW);
    expect(stderr).toMatch(/replaying: \d+ of 20000 to '.*' \(\d+ msg\/s\)/);
    report('dlq replay SIGKILL', {
      deadLetters: expected.length,
      replayedBeforeKill: live.length,
      stillDead: dead.length,
      duplicates,
      killedAfterMs,
      lastProgress: stderr.trim().split('\n').at(-1) ?? '',
    });
  });
});
