import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestBroker, brokerUrl, uniqueQueue } from './helpers/amqp';
import { runWorker } from './helpers/worker-process';

describe('workqueue-worker delivers each message to its program', () => {
  let broker: TestBroker;
  let dir: string;
  beforeEach(async () => {
    broker = await TestBroker.open();
    dir = mkdtempSync(join(tmpdir(), 'wq-delivery-'));
  });
  afterEach(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes binary bodies byte for byte on stdin, up to 16 MiB, and acks on exit 0', async () => {
    // GIVEN binary bodies with NUL bytes, an empty one and a 16 MiB one
    const queue = uniqueQueue('bytes');
    await broker.declare(queue);
    const bodies = [Buffer.from([0, 1, 2, 0, 255, 10, 13, 0]), Buffer.alloc(0), randomBytes(16 * 1024 * 1024)];
    for (const [i, body] of bodies.entries()) await broker.publish(queue, [body], { messageId: `m${i}` });
    // WHEN a worker saves each body under its message id
    const exit = await runWorker([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '-c',
      '3',
      '--',
      'sh',
      '-c',
      'cat > "$0/$WQ_MESSAGE_ID"',
      dir,
    ]);
    // THEN every file equals its body and the queue is empty
    expect(exit.code).toBe(0);
    for (const [i, body] of bodies.entries()) expect(readFileSync(join(dir, `m${i}`)).equals(body)).toBe(true);
    expect(await broker.count(queue)).toBe(0);
  });

  it('gives the program its metadata in WQ_* variables, with the environment inherited', async () => {
    const queue = uniqueQueue('meta');
    await broker.declare(queue);
    await broker.publish(queue, ['x'], {
      messageId: 'id-1',
      correlationId: 'corr-1',
      contentType: 'text/plain',
      headers: { tenant: 'acme' },
    });
    const exit = await runWorker(['-u', brokerUrl(), '-q', queue, '-c', '1', '--', 'sh', '-c', 'env > "$0/env"', dir], {
      INHERITED_VAR: 'kept',
    });
    expect(exit.code).toBe(0);
    const env = Object.fromEntries(
      readFileSync(join(dir, 'env'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('='))
        .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
    );
    expect(env).toMatchObject({
      WQ_QUEUE: queue,
      WQ_MESSAGE_ID: 'id-1',
      WQ_CORRELATION_ID: 'corr-1',
      WQ_CONTENT_TYPE: 'text/plain',
      WQ_ROUTING_KEY: queue,
      WQ_REDELIVERED: 'false',
      WQ_ATTEMPT: '1',
      INHERITED_VAR: 'kept',
    });
    expect(JSON.parse(env.WQ_HEADERS)).toEqual({ tenant: 'acme' });
  });

  it('runs the program from an argv, never through a shell', async () => {
    const queue = uniqueQueue('argv');
    await broker.declare(queue);
    await broker.publish(queue, ['x']);
    const exit = await runWorker([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '-c',
      '1',
      '--',
      'touch',
      join(dir, '$(echo injected); a b'),
    ]);
    expect(exit.code).toBe(0);
    expect(readdirSync(dir)).toEqual(['$(echo injected); a b']);
  });

  it("tags each line of the program's stdout and stderr with the message id", async () => {
    const queue = uniqueQueue('tags');
    await broker.declare(queue);
    await broker.publish(queue, ['one\ntwo\n'], { messageId: 'job-7' });
    const exit = await runWorker([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '-c',
      '1',
      '--',
      'sh',
      '-c',
      'cat; printf "oops\\nno newline" >&2',
    ]);
    expect(exit.code).toBe(0);
    expect(exit.stdout).toBe('[job-7] one\n[job-7] two\n');
    // The worker's own lines (its "consuming" line may come after the program's first) are whole lines too.
    expect(exit.stderr.split('\n')).toEqual(expect.arrayContaining(['[job-7] oops', '[job-7] no newline']));
    expect(exit.stderr.endsWith('\n')).toBe(true);
  });

  it.each([
    ['the wq-spawn helper', {}],
    ["Node's spawn", { WQ_SPAWN_HELPER: '' }],
  ])("ends and tags each program's unfinished last line on its own, at concurrency 4 (%s)", async (_path, env) => {
    // GIVEN 300 messages whose program prints a last line without a newline, on stdout and stderr
    const queue = uniqueQueue('partial');
    await broker.declare(queue);
    const n = 300;
    await broker.publish(
      queue,
      Array.from({ length: n }, () => 'x'),
    );
    // WHEN four run at once, writing to the same outputs as each other and as the worker's log
    const exit = await runWorker(
      [
        '-u',
        brokerUrl(),
        '-q',
        queue,
        '--concurrency',
        '4',
        '-c',
        String(n),
        '--',
        'sh',
        '-c',
        'printf "a\\nb"; printf "c\\nd" >&2',
      ],
      env,
    );
    // THEN every line is whole: a tag and one of the program's lines, or one of the worker's own
    expect(exit.code).toBe(0);
    const out = exit.stdout.split('\n').filter(Boolean);
    expect(out.filter((l) => !/^\[no-id-\d+\] [ab]$/.test(l))).toEqual([]);
    expect(out.filter((l) => l.endsWith('] b'))).toHaveLength(n);
    const err = exit.stderr.split('\n').filter(Boolean);
    expect(err.filter((l) => !/^\[no-id-\d+\] [cd]$/.test(l) && !l.startsWith('workqueue-worker: '))).toEqual([]);
    expect(err.filter((l) => l.endsWith('] d'))).toHaveLength(n);
  });

  it.each([
    ['the wq-spawn helper', {}, 'wq-spawn'],
    ["Node's own spawn (no helper)", { WQ_SPAWN_HELPER: '' }, 'node'],
  ])('delivers bodies, metadata and tagged output the same way through %s', async (_how, env, parent) => {
    // GIVEN two messages, one whose program fails
    const queue = uniqueQueue('launcher');
    await broker.declare(queue);
    await broker.publishIds(queue, ['good', 'bad'], (id) => `body of ${id}\n`);
    // WHEN the worker runs a program that prints its body and id, and fails for 'bad'
    const exit = await runWorker(
      [
        '-u',
        brokerUrl(),
        '-q',
        queue,
        '-c',
        '3',
        '--max-attempts',
        '2',
        '--concurrency',
        '1',
        '--',
        'sh',
        '-c',
        'cat; echo "id=$WQ_MESSAGE_ID attempt=$WQ_ATTEMPT parent=$(cat /proc/$PPID/comm)" >&2; ' +
          '[ "$WQ_MESSAGE_ID" = good ]',
      ],
      env,
    );
    // THEN output is tagged, the failure retried then dead-lettered, the good one acked
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain('[good] body of good\n');
    // (started by the path named: the program's parent process is the helper, or the worker's Node)
    expect(exit.stderr).toContain(`[good] id=good attempt=1 parent=${parent}\n`);
    expect(exit.stderr).toContain(`[bad] id=bad attempt=2 parent=${parent}\n`);
    expect(exit.stderr).toMatch(/message bad failed: exit code 1 \(attempt 2 of 2\); moving it to/);
    expect((await broker.drain(`${queue}.dlq`)).map((m) => m.body.toString())).toEqual(['body of bad\n']);
    expect(await broker.count(queue)).toBe(0);
  });

  it('acks a program that exits 0 without reading a large body', async () => {
    const queue = uniqueQueue('noread');
    await broker.declare(queue);
    await broker.publish(queue, [randomBytes(4 * 1024 * 1024), 'small']);
    const exit = await runWorker(['-u', brokerUrl(), '-q', queue, '-c', '2', '--', 'true']);
    expect(exit.code).toBe(0);
    expect(await broker.count(queue)).toBe(0);
    expect(await broker.count(`${queue}.dlq`)).toBe(0);
  });

  it('processes messages published by amqp-publish (amqp-tools interop)', async () => {
    // GIVEN messages put on the queue by Debian's amqp-publish
    const queue = uniqueQueue('interop');
    await broker.declare(queue);
    const url = new URL(brokerUrl());
    for (const body of ['alpha', 'beta', 'gamma']) {
      execFileSync('amqp-publish', [
        '--server',
        url.hostname,
        '--port',
        url.port || '5672',
        '--username',
        decodeURIComponent(url.username || 'guest'),
        '--password',
        decodeURIComponent(url.password || 'guest'),
        '-r',
        queue,
        '-p',
        '-b',
        body,
      ]);
    }
    // WHEN the worker runs process-message-style saving
    const exit = await runWorker([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '-c',
      '3',
      '--',
      'sh',
      '-c',
      'cat > "$(mktemp "$0/msg.XXXXXX")"',
      dir,
    ]);
    // THEN all three bodies are saved
    expect(exit.code).toBe(0);
    const saved = readdirSync(dir).map((f) => readFileSync(join(dir, f), 'utf8'));
    expect(saved.sort()).toEqual(['alpha', 'beta', 'gamma']);
  });

  it('runs up to --concurrency programs at once', async () => {
    // GIVEN 5 messages whose program records when it started, waits (up to 15 s) until 4 programs
    // have started, lingers 1 s (room for a fifth to start, were it allowed to), and records when it ended
    const queue = uniqueQueue('parallel');
    await broker.declare(queue);
    const ids = ['p1', 'p2', 'p3', 'p4', 'p5'];
    await broker.publishIds(queue, ids);
    const program =
      'date +%s%N > "$0/start.$WQ_MESSAGE_ID"; i=0; ' +
      'while [ "$(ls "$0" | grep -c "^start")" -lt 4 ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i+1)); done; sleep 1; ' +
      'date +%s%N > "$0/end.$WQ_MESSAGE_ID"';
    // WHEN the worker runs them 4 at a time
    const exit = await runWorker([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '-c',
      '5',
      '--concurrency',
      '4',
      '--',
      'sh',
      '-c',
      program,
      dir,
    ]);
    // THEN, by the programs' own clocks, at most 4 ran at any moment and 4 did run together
    expect(exit.code).toBe(0);
    const at = (what: string, id: string) => BigInt(readFileSync(join(dir, `${what}.${id}`), 'utf8').trim());
    const spans = ids.map((id) => ({ start: at('start', id), end: at('end', id) }));
    const runningAt = (t: bigint) => spans.filter((s) => s.start <= t && t < s.end).length;
    const peak = Math.max(...spans.map((s) => runningAt(s.start)));
    expect(peak).toBe(4);
  });
});
