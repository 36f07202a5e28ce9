import { TestBroker, brokerUrl, uniqueQueue } from './helpers/amqp';
import { runCli } from './helpers/cli-process';
import { longString, pikaPublish, tableEntry } from './helpers/pika';

describe('workqueue dlq', () => {
  let broker: TestBroker;
  let queue: string;
  let dead: string;
  beforeEach(async () => {
    broker = await TestBroker.open();
    queue = uniqueQueue('dlq');
    dead = `${queue}.dlq`;
    await broker.declare(queue);
    await broker.declare(dead);
  });
  afterEach(() => broker.close());

  const cli = (...args: string[]) => runCli(['dlq', ...args, '-u', brokerUrl()]);
  /** A dead letter as the worker leaves it. */
  const deadLetter = (id: string, reason: string, at: string, body = id) =>
    broker.publish(dead, [body], {
      messageId: id,
      headers: {
        'x-wq-attempts': 5,
        'x-wq-reason': reason,
        'x-wq-original-queue': queue,
        'x-wq-dead-lettered-at': at,
        tenant: 'acme',
      },
    });
  const seed = async () => {
    await deadLetter('a', 'exit code 75', '2026-01-02T00:00:00.000Z');
    await deadLetter('b', 'exit code 75', '2026-01-01T00:00:00.000Z');
    await deadLetter('c', 'timed out after 5 s', '2026-01-03T00:00:00.000Z');
  };

  it('ls counts dead letters by reason with the oldest and newest, and leaves them where they are', async () => {
    // GIVEN three dead letters, two of one reason
    await seed();
    // WHEN they are listed, as a table and as JSON
    const table = await cli('ls', '-q', queue);
    const json = await cli('ls', '-q', queue, '-o', 'json');
    // THEN both say 3, grouped 2 + 1, oldest and newest; the dead letters are all still there
    expect(table.code).toBe(0);
    expect(table.stdout).toContain(`${dead}: 3 dead letter(s)`);
    expect(table.stdout).toContain('oldest 2026-01-01T00:00:00.000Z, newest 2026-01-03T00:00:00.000Z');
    expect(table.stdout).toMatch(/ {6}2 {2}exit code 75\n {6}1 {2}timed out after 5 s/);
    expect(JSON.parse(json.stdout)).toEqual({
      queue,
      deadLetterQueue: dead,
      count: 3,
      scanned: 3,
      oldest: '2026-01-01T00:00:00.000Z',
      newest: '2026-01-03T00:00:00.000Z',
      reasons: [
        { reason: 'exit code 75', count: 2 },
        { reason: 'timed out after 5 s', count: 1 },
      ],
    });
    await broker.waitForCount(dead, 3); // read without ack: a quorum queue takes them back asynchronously
  });

  it('show prints headers and the first bytes of each body escaped, and leaves the messages', async () => {
    // GIVEN a dead letter whose reason and body hold terminal escapes, a line break and a bidi override
    await deadLetter(
      'evil',
      'bad\x1b[2J\nforged line',
      '2026-01-01T00:00:00.000Z',
      'body\x1b]0;owned\x07\u202eX' + 'y'.repeat(500),
    );
    await deadLetter('plain', 'exit code 1', '2026-01-01T00:00:01.000Z');
    // WHEN the first one is shown, as text with 40 bytes of body, and as JSON
    const shown = await cli('show', '-q', queue, '-n', '1', '--bytes', '40');
    const json = await cli('show', '-q', queue, '-o', 'json');
    // THEN nothing raw reaches the terminal, the body is cut, and both messages are still in the queue
    expect(shown.code).toBe(0);
    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    expect(shown.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\u202e]/);
    expect(shown.stdout).toContain('header x-wq-reason: bad\\x1b[2J\\nforged line');
    expect(shown.stdout).toContain('body: body\\x1b]0;owned\\x07\\u202eX');
    expect(shown.stdout).toContain('more bytes)');
    expect(shown.stdout).not.toContain('plain');
    const lines = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>);
    expect(lines.map((l) => l.properties.messageId)).toEqual(['evil', 'plain']);
    // eslint-disable-next-line no-control-regex -- looking for control characters is the point
    expect(json.stdout).not.toMatch(/[\u202e\x1b]/);
    await broker.waitForCount(dead, 2); // read without ack: a quorum queue takes them back asynchronously
  });

  it('replay moves matching dead letters back with the attempt count reset, confirmed, with progress', async () => {
    // GIVEN three dead letters, two of them 'exit code 75'
    await seed();
    // WHEN those two are replayed
    const replayed = await cli('replay', '-q', queue, '--reason', 'exit code 75');
    // THEN they are in QUEUE without their attempts and failure headers, the other stays dead
    expect(replayed.code).toBe(0);
    expect(replayed.stderr).toMatch(/replayed 2 of 3 to '.*', 1 left \(reason did not match\) \(\d+ msg\/s\)/);
    const back = await broker.drain(queue);
    expect(back.map((m) => m.properties.messageId).sort()).toEqual(['a', 'b']);
    for (const m of back) {
      expect(m.properties.headers?.['x-wq-attempts']).toBeUndefined();
      expect(m.properties.headers?.['x-wq-reason']).toBeUndefined();
      expect(m.properties.headers).toMatchObject({ tenant: 'acme', 'x-wq-replayed-at': expect.any(String) });
    }
    const left = await broker.drain(dead);
    expect(left.map((m) => m.properties.messageId)).toEqual(['c']);
  });

  it('replay leaves a dead letter it cannot copy (headers over 64 KiB) and replays the ones behind it', async () => {
    // GIVEN a dead letter whose header table amqplib cannot encode, between two ordinary ones
    await deadLetter('a', 'exit code 75', '2026-01-02T00:00:00.000Z');
    pikaPublish(dead, [
      {
        body: 'huge',
        properties: { messageId: 'huge' },
        rawHeaders: tableEntry('big', longString('z'.repeat(100_000))),
      },
    ]);
    await deadLetter('c', 'exit code 75', '2026-01-03T00:00:00.000Z');
    // WHEN they are replayed
    const replayed = await cli('replay', '-q', queue);
    // THEN one line says why the huge one stays; the other two are back in QUEUE, no stack trace, no duplicate
    expect(replayed.code).toBe(0);
    expect(replayed.stderr).toMatch(/dead letter 'huge' stays in '.*\.dlq': headers take more than 65536 bytes/);
    expect(replayed.stderr).not.toMatch(/\n\s+at /);
    expect((await broker.drain(queue)).map((m) => m.properties.messageId).sort()).toEqual(['a', 'c']);
    expect((await broker.drain(dead)).map((m) => m.properties.messageId)).toEqual(['huge']);
  });

  it('replay --limit moves at most N; to a missing queue it stops in one line and keeps the dead letters', async () => {
    await seed();
    const limited = await cli('replay', '-q', queue, '--limit', '1');
    expect(limited.code).toBe(0);
    expect(await broker.count(queue)).toBe(1);
    await broker.waitForCount(dead, 2); // read without ack: a quorum queue takes them back asynchronously
    // GIVEN QUEUE deleted WHEN the rest are replayed THEN exit 1, one line, both dead letters still there
    await broker.delete(queue);
    const missing = await cli('replay', '-q', queue);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n').at(-1)).toMatch(/queue '.*' does not exist; 0 replayed/);
    await broker.waitForCount(dead, 2); // read without ack: a quorum queue takes them back asynchronously
  });

  it('purge needs --yes, then deletes every dead letter', async () => {
    await seed();
    const refused = await cli('purge', '-q', queue);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split('\n')).toHaveLength(1);
    expect(await broker.count(dead)).toBe(3);
    const purged = await cli('purge', '-q', queue, '--yes');
    expect(purged.code).toBe(0);
    expect(purged.stderr).toContain(`purged 3 dead letter(s) from '${dead}'`);
    expect(await broker.count(dead)).toBe(0);
  });

  it('refuses bad input in one line (exit 2) and says in one line when the broker or queue is not there', async () => {
    for (const args of [
      ['frob', '-q', queue],
      ['ls'],
      ['show', '-q', queue, '-n', '0'],
      ['ls', '-q', queue, '-o', 'x'],
    ]) {
      const exit = await cli(...args);
      expect([args, exit.code, exit.stderr.trim().split('\n').length]).toEqual([args, 2, 1]);
    }
    const unreachable = await runCli(['dlq', 'ls', '-q', queue, '-u', 'amqp://127.0.0.1:1']);
    expect([unreachable.code, unreachable.stderr.trim().split('\n').length]).toEqual([1, 1]);
    const missing = await cli('ls', '-q', uniqueQueue('none'));
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/does not exist/);
    const help = await runCli(['dlq', '--help']);
    expect([help.code, help.stdout]).toEqual([0, expect.stringContaining('workqueue dlq replay -q jobs')]);
  });
});
