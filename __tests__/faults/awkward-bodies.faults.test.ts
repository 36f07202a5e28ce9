import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brokerUrl, uniqueQueue } from '../helpers/amqp';
import { runWorker } from '../helpers/worker-process';
import { useFaultFixture } from './helpers/fault-fixture';

describe('fault: awkward message bodies', () => {
  const f = useFaultFixture();

  it('hands 64 MiB, non-UTF-8 and empty bodies to the program byte for byte', async () => {
    // GIVEN three messages: 64 MiB of random bytes, invalid UTF-8 with NULs, and nothing at all
    const queue = uniqueQueue('bodies');
    await f.broker.declare(queue);
    const bodies: Record<string, Buffer> = {
      big: randomBytes(64 * 1024 * 1024),
      binary: Buffer.from([0xff, 0xfe, 0x00, 0xc3, 0x28, 0x0a, 0x00, 0xa0, 0xa1, 0x0d]),
      empty: Buffer.alloc(0),
    };
    await f.broker.publishIds(queue, Object.keys(bodies), (id) => bodies[id]);

    // WHEN a worker saves each body to a file named after the message id
    const exit = await runWorker(
      ['-u', brokerUrl(), '-q', queue, '-c', '3', '--', 'sh', '-c', 'cat > "$0/$WQ_MESSAGE_ID"', f.ledger.dir],
      {},
      180_000,
    );

    // THEN each file holds exactly the bytes published, and nothing was retried
    expect(exit.code).toBe(0);
    expect(exit.stderr).not.toMatch(/failed/);
    for (const [id, body] of Object.entries(bodies)) {
      expect(readFileSync(join(f.ledger.dir, id)).equals(body)).toBe(true);
    }
    expect(await f.broker.count(queue)).toBe(0);
  });
});
