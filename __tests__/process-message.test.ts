import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestBroker, brokerUrl, uniqueQueue } from './helpers/amqp';
import { runWorker } from './helpers/worker-process';

const PROCESS_MESSAGE = join(__dirname, '..', 'images', 'worker', 'process-message');

describe('images/worker/process-message', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'wq-pm-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('saves its stdin to a new randomly named file in DIR and exits 0', () => {
    const body = randomBytes(100_000);
    const first = spawnSync(PROCESS_MESSAGE, [dir], { input: body });
    const second = spawnSync(PROCESS_MESSAGE, [dir], { input: '../../etc/passwd' });
    expect([first.status, second.status]).toEqual([0, 0]);
    const files = readdirSync(dir);
    expect(files).toHaveLength(2);
    for (const f of files) expect(f).toMatch(/^message\.[A-Za-z0-9]{10}$/);
    // both bodies saved, each byte for byte (the second one's name-like body stays a body)
    const saved = files.map((f) => readFileSync(join(dir, f)).toString('hex')).sort();
    expect(saved).toEqual([body.toString('hex'), Buffer.from('../../etc/passwd').toString('hex')].sort());
  });

  it('fails with a usage line when DIR is missing or not a directory', () => {
    expect(spawnSync(PROCESS_MESSAGE, [], { input: 'x' })).toMatchObject({ status: 2 });
    const bad = spawnSync(PROCESS_MESSAGE, [join(dir, 'nope')], { input: 'x', encoding: 'utf8' });
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/is not a writable directory/);
  });

  it('is what the worker runs for the sample system: every message saved', async () => {
    const broker = await TestBroker.open();
    try {
      const queue = uniqueQueue('pm');
      await broker.declare(queue);
      const bodies = Array.from({ length: 20 }, (_, i) => `work item ${i}`);
      await broker.publish(queue, bodies);
      const exit = await runWorker(['-u', brokerUrl(), '-q', queue, '-c', '20', '--', PROCESS_MESSAGE, dir]);
      expect(exit.code).toBe(0);
      expect(
        readdirSync(dir)
          .map((f) => readFileSync(join(dir, f), 'utf8'))
          .sort(),
      ).toEqual([...bodies].sort());
    } finally {
      await broker.close();
    }
  });
});
