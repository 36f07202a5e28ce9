import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestBroker, brokerUrl, uniqueQueue } from './helpers/amqp';
import { runWorker, WorkerProcess } from './helpers/worker-process';
import { waitFor } from './helpers/wait-for';
import { persistentHandler } from '../worker/handlers/persistent-handler';

/** A persistent program in one line of Node.js: `body` runs per message with m (the request) and say (answer). */
const program = (body: string): string[] => [
  process.execPath,
  '-e',
  `const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n'); ` +
    `require('readline').createInterface({ input: process.stdin })` +
    `.on('line', (l) => { const m = JSON.parse(l); ${body} });`,
];

/** True while process `pid` runs (a zombie, waiting for its reaper, does not). */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2));
  } catch {
    return false;
  }
}

describe('workqueue-worker --persistent', () => {
  let broker: TestBroker;
  let dir: string;
  let queue: string;
  beforeEach(async () => {
    broker = await TestBroker.open();
    dir = mkdtempSync(join(tmpdir(), 'wq-persistent-'));
    queue = uniqueQueue('persistent');
    await broker.declare(queue);
  });
  afterEach(async () => {
    await broker.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends each message as a JSON line with its body and meta, and acks what the program answers ok', async () => {
    // GIVEN binary and text bodies with ids and headers
    const bodies: Record<string, Buffer> = { a: Buffer.from([0, 255, 10]), b: Buffer.from('two') };
    for (const [id, body] of Object.entries(bodies))
      await broker.publish(queue, [body], { messageId: id, headers: { tenant: 'acme' } });

    // WHEN one program saves each request and answers ok
    const exit = await runWorker([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '-c',
      '2',
      '--persistent',
      '--concurrency',
      '1',
      '--',
      ...program(
        `require('fs').writeFileSync(${JSON.stringify(dir)} + '/' + m.meta.messageId, l); say({ id: m.id, ok: true });`,
      ),
    ]);

    // THEN both were acked and the program saw body (base64) and meta as in spawn mode
    expect(exit.code).toBe(0);
    expect(await broker.count(queue)).toBe(0);
    for (const [id, body] of Object.entries(bodies)) {
      const request = JSON.parse(readFileSync(join(dir, id), 'utf8'));
      expect(Buffer.from(request.body, 'base64').equals(body)).toBe(true);
      expect(request.meta).toMatchObject({
        queue,
        messageId: id,
        attempt: 1,
        redelivered: false,
        headers: { tenant: 'acme' },
      });
      expect(typeof request.id).toBe('string');
    }
  });

  it('lets a program hold several messages and answer in any order, each answer settling its own message', async () => {
    // GIVEN six messages and a program that answers only once it holds three, newest first: it refuses
    // m1 and m4 (the oldest of each three, answered last) naming them, and accepts the others
    await broker.publishIds(queue, ['m1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    const answer = `const refuse = ['m1', 'm4'].includes(h.meta.messageId);
      say(refuse ? { id: h.id, ok: false, error: 'refused ' + h.meta.messageId } : { id: h.id, ok: true });`;
    const holdThree = `(global.held ??= []).push(m);
      if (global.held.length === 3) while (global.held.length) { const h = global.held.pop(); ${answer} }`;
    const exit = await runWorker([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '-c',
      '6',
      '--max-attempts',
      '1',
      '--persistent',
      '--concurrency',
      '1',
      '-p',
      '3',
      '--',
      ...program(holdThree),
    ]);
    // THEN exactly the refused ones are dead-lettered, each with its own refusal, and the rest acked:
    // an answer matched to the wrong message (e.g. by arrival order) would dead-letter m3 or m6
    expect(exit.code).toBe(0);
    const dead = await broker.drain(`${queue}.dlq`);
    expect(dead.map((d) => [d.properties.messageId, String(d.properties.headers?.['x-wq-reason'])])).toEqual([
      ['m1', expect.stringContaining('refused m1')],
      ['m4', expect.stringContaining('refused m4')],
    ]);
    expect(await broker.count(queue)).toBe(0);
  });

  it('counts ok:false as a failed attempt and dead-letters with the error as the reason', async () => {
    await broker.publishIds(queue, ['bad']);
    const exit = await runWorker([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '-c',
      '2',
      '--max-attempts',
      '2',
      '--persistent',
      '--',
      ...program(`say({ id: m.id, ok: false, error: 'no such customer' });`),
    ]);
    expect(exit.code).toBe(0);
    expect(exit.stderr).toMatch(/message bad failed: program answered error: no such customer \(attempt 1 of 2\)/);
    const [dead] = await broker.drain(`${queue}.dlq`);
    expect(String(dead.properties.headers?.['x-wq-reason'])).toContain('no such customer');
  });

  it("takes answers written with any of JSON's spacing, and a line that is not JSON as output", async () => {
    // GIVEN a program that answers one message compactly, one with tabs, spaces and a CR, and one first with a
    // lone 0xA0 byte (a no-break space in latin1, invalid UTF-8, not JSON whitespace), then with a real answer
    await broker.publishIds(queue, ['compact', 'spaced', 'nbsp']);
    const exit = await runWorker([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '-c',
      '3',
      '--max-attempts',
      '1',
      '--persistent',
      '--concurrency',
      '1',
      '--',
      ...program(
        `const w = (s) => process.stdout.write(Buffer.from(s, 'latin1')); const id = JSON.stringify(m.id); ` +
          `if (m.meta.messageId === 'compact') w('{"id":' + id + ',"ok":true}\\n'); ` +
          `else if (m.meta.messageId === 'spaced') w('{ "id"\\t: ' + id + ' , "ok" :true }\\r\\n'); ` +
          `else { w('{"id": ' + id + ',\\u00a0"ok": true}\\n'); say({ id: m.id, ok: false, error: 'nbsp' }); }`,
      ),
    ]);
    // THEN the first two are acked, the near-answer is copied as output, and the third failed with its real answer
    expect(exit.code).toBe(0);
    expect(exit.stdout).toMatch(/\[program-1\] \{"id": "m\d+",\ufffd"ok": true\}\n/);
    const dead = await broker.drain(`${queue}.dlq`);
    expect(dead.map((d) => d.properties.messageId)).toEqual(['nbsp']);
    expect(String(dead[0].properties.headers?.['x-wq-reason'])).toContain('program answered error: nbsp');
    expect(await broker.count(queue)).toBe(0);
  });

  it('reports the messages a program holds as in flight on /metrics, and their times once answered', async () => {
    // GIVEN a program that says when it holds a message and answers it only when the test creates a file
    await broker.publishIds(queue, ['one', 'two', 'three']);
    const go = join(dir, 'go');
    const worker = new WorkerProcess([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '--health-port',
      '0',
      '--persistent',
      '--concurrency',
      '1',
      '--',
      ...program(
        `console.log('holding ' + m.meta.messageId); const t = setInterval(() => { ` +
          `if (!require('fs').existsSync(${JSON.stringify(go)})) return; ` +
          `clearInterval(t); say({ id: m.id, ok: true }); }, 20);`,
      ),
    ]);
    const scrape = async (name: string): Promise<number> => {
      const port = /health checks on http:\/\/0\.0\.0\.0:(\d+)/.exec(worker.stderr)![1];
      const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
      return Number(new RegExp(`^${name}\\{[^}]*\\} (\\S+)$`, 'm').exec(text)![1]);
    };
    try {
      await worker.waitForLog(/health checks on/);
      // WHEN all three are held, and then answered
      await waitFor('three held', () => (worker.stdout.match(/holding /g) ?? []).length === 3, 30_000, 20);
      const held = await scrape('workqueue_messages_in_flight');
      writeFileSync(go, '');
      await waitFor('all answered', async () => (await scrape('workqueue_messages_succeeded_total')) === 3, 30_000, 50);
      // THEN the gauge showed the three held messages, and now none; each attempt's time was observed
      expect(held).toBe(3);
      expect(await scrape('workqueue_messages_in_flight')).toBe(0);
      expect(await scrape('workqueue_processing_seconds_count')).toBe(3);
      expect(await broker.count(queue)).toBe(0);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
    }
  });

  it('fails at once a message whose timeout fired while it waited for a program, not waiting for ever', async () => {
    // GIVEN a persistent handler whose program is up and never answers
    const lines: string[] = [];
    const log = { info: (l: string) => lines.push(l), error: (l: string) => lines.push(l) };
    const programs = persistentHandler({
      program: process.execPath,
      args: ['-e', 'process.stdin.resume()'],
      programs: 1,
      queue,
      log,
    });
    const meta = { queue, messageId: 'late', correlationId: '', contentType: '', routingKey: queue };
    try {
      // WHEN a message comes with its signal already aborted by its timeout
      const outcome = await Promise.race([
        programs.handler(
          Buffer.from('x'),
          { ...meta, redelivered: false, attempt: 1, headers: {} },
          AbortSignal.abort('timeout'),
        ),
        new Promise((resolve) => setTimeout(() => resolve('still waiting after 2 s'), 2_000)),
      ]);
      // THEN it fails at once, and the program is left as it was
      expect(outcome).toEqual({ ok: false, reason: 'no program took it in time' });
      expect(lines).toEqual([]);
    } finally {
      await programs.close();
    }
  });

  it('logs other stdout lines, tagged with the program', async () => {
    await broker.publishIds(queue, ['chatty']);
    const exit = await runWorker([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '-c',
      '1',
      '--persistent',
      '--concurrency',
      '1',
      '--',
      ...program(`console.log('working on ' + m.meta.messageId); say({ id: m.id, ok: true });`),
    ]);
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain('[program-1] working on chatty\n');
  });

  it('restarts a program that exits, failing only the messages it had not answered', async () => {
    // GIVEN a program that dies on the first attempt at 'crash' and answers everything else
    await broker.publishIds(queue, ['crash', 'fine']);
    const exit = await runWorker([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '-c',
      '3',
      '--persistent',
      '--concurrency',
      '1',
      '-p',
      '1',
      '--',
      ...program(
        `if (m.meta.messageId === 'crash' && m.meta.attempt === 1) process.exit(3); say({ id: m.id, ok: true });`,
      ),
    ]);
    // THEN it was restarted, and 'crash' succeeded on its second attempt
    expect(exit.code).toBe(0);
    expect(exit.stderr).toMatch(/program 1 \(.*\) ended: exit code 3; restarting it in/);
    expect(exit.stderr).toMatch(
      /message crash failed: program ended before answering \(exit code 3\) \(attempt 1 of 5\)/,
    );
    expect(await broker.count(queue)).toBe(0);
    expect(await broker.count(`${queue}.dlq`)).toBe(0);
  });

  it('restarts a program that does not answer within --timeout, and goes on with the next messages', async () => {
    // GIVEN a message the program never answers, then one it does
    await broker.publishIds(queue, ['hang', 'after']);
    const exit = await runWorker([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '-c',
      '2',
      '--timeout',
      '1',
      '--max-attempts',
      '1',
      '--persistent',
      '--concurrency',
      '1',
      '-p',
      '1',
      '--',
      ...program(`if (m.meta.messageId !== 'hang') say({ id: m.id, ok: true });`),
    ]);
    // THEN 'hang' is dead-lettered as timed out, the program restarted, and 'after' acked
    expect(exit.code).toBe(0);
    expect(exit.stderr).toMatch(/program 1: message hang timed out; restarting it/);
    const [dead] = await broker.drain(`${queue}.dlq`);
    expect(dead.properties.messageId).toBe('hang');
    expect(String(dead.properties.headers?.['x-wq-reason'])).toMatch(/timed out after 1 s/);
    expect(await broker.count(queue)).toBe(0);
  });

  it.each(['save-body.py', 'save-body.sh'])("runs README's example program %s", async (example) => {
    // GIVEN three messages, one of them binary
    const bodies = [Buffer.from('first'), Buffer.from([0, 1, 254, 255]), Buffer.from('third\n')];
    for (const [i, body] of bodies.entries()) await broker.publish(queue, [body], { messageId: `msg-${i}` });
    // WHEN the example saves them
    const exit = await runWorker([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '-c',
      '3',
      '--persistent',
      '--concurrency',
      '1',
      '--',
      join(__dirname, '..', 'examples', 'persistent', example),
      dir,
    ]);
    // THEN every body is in a file of its own, byte for byte
    expect(exit.code).toBe(0);
    const saved = readdirSync(dir).map((f) => readFileSync(join(dir, f)));
    expect(saved.map((b) => b.toString('hex')).sort()).toEqual(bodies.map((b) => b.toString('hex')).sort());
    expect(await broker.count(queue)).toBe(0);
  });

  it('ends a TERM-ignoring child that closed its pipes, after its program exits, before the worker exits', async () => {
    // GIVEN a program that starts a TERM-ignoring child with no pipes (its pid in bg.pid), answers one message, exits
    const script =
      '(trap "" TERM; exec sleep 73) >/dev/null 2>&1 </dev/null & echo $! > "$0/bg.pid"; read -r line; ' +
      'id=${line#\\{\\"id\\":\\"}; id=${id%%\\"*}; printf \'{"id":"%s","ok":true}\\n\' "$id"';
    await broker.publish(queue, ['one']);

    // WHEN the worker runs it for one message
    const exit = await runWorker([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '-c',
      '1',
      '--persistent',
      '--concurrency',
      '1',
      '--',
      'sh',
      '-c',
      script,
      dir,
    ]);
    const pid = Number(readFileSync(join(dir, 'bg.pid'), 'utf8'));
    try {
      // THEN the message was done, and by the time the worker exited the child had ended
      expect(exit.code).toBe(0);
      expect(await broker.count(queue)).toBe(0);
      expect(running(pid)).toBe(false);
    } finally {
      if (running(pid)) process.kill(pid, 'SIGKILL');
    }
  });

  it('refuses --persistent with --module', async () => {
    const exit = await runWorker(['-q', queue, '--persistent', '--module', 'x.js']);
    expect(exit.code).toBe(2);
    expect(exit.stderr).toMatch(/--persistent runs a PROGRAM; it does not go with --module/);
  });
});
