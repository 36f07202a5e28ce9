import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { TestBroker, brokerUrl, uniqueQueue } from './helpers/amqp';
import { WORKER_BIN, WorkerProcess, runWorker, type Exit } from './helpers/worker-process';

/** A persistent program in one line of Node.js: `body` runs per message with m (the request) and say (answer). */
const persistent = (body: string): string[] => [
  process.execPath,
  '-e',
  `const say = (o) => process.stdout.write(JSON.stringify(o) + '\\n'); ` +
    `require('readline').createInterface({ input: process.stdin })` +
    `.on('line', (l) => { const m = JSON.parse(l); ${body} });`,
];

/** The highest resident memory (VmHWM, KiB) process `pid` reached, polled until `done` settles. */
async function peakRssKiB(pid: number, done: Promise<unknown>): Promise<number> {
  let finished = false;
  void done.finally(() => (finished = true));
  let peak = 0;
  while (!finished) {
    try {
      peak = Math.max(peak, Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0));
    } catch {
      // gone: the last reading stands
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  return peak;
}

/** Runs the worker with its stdout read slowly (one chunk, then a pause); counts what arrived. */
interface SlowReadExit extends Exit {
  readonly stdoutBytes: number;
  readonly stdoutLines: number;
  readonly lastLine: string;
  readonly peakKiB: number;
}

function runWithSlowReader(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<SlowReadExit> {
  const child = spawn(WORKER_BIN, [...args], { env: { ...process.env, AMQP_URL: undefined, ...env } });
  let stdoutBytes = 0;
  let stdoutLines = 0;
  let tail = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdoutBytes += d.length;
    for (let at = d.indexOf(10); at !== -1; at = d.indexOf(10, at + 1)) stdoutLines++;
    tail = (tail + d.subarray(-300).toString()).slice(-300);
    child.stdout.pause();
    setTimeout(() => child.stdout.resume(), 5);
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<Pick<Exit, 'code' | 'signal'>>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  const killer = setTimeout(() => child.kill('SIGKILL'), 100_000);
  return Promise.all([exited, peakRssKiB(child.pid!, exited)]).then(([{ code, signal }, peakKiB]) => {
    clearTimeout(killer);
    const lastLine = tail.split('\n').at(-2) ?? '';
    return { code, signal, stdout: '', stderr, stdoutBytes, stdoutLines, lastLine, peakKiB };
  });
}

describe('workqueue-worker output', () => {
  let broker: TestBroker;
  let queue: string;
  beforeEach(async () => {
    broker = await TestBroker.open();
    queue = uniqueQueue('output');
    await broker.declare(queue);
  });
  afterEach(async () => {
    await broker.close();
  });

  // A message id that tries to print a line of the worker's own and clear the operator's terminal.
  const forged = 'evil\nworkqueue-worker: message payroll done\x1b[2J';
  const escaped = 'evil\\nworkqueue-worker: message payroll done\\x1b[2J';

  it.each([
    ['spawn mode (wq-spawn)', {}, ['sh', '-c', 'echo started; exit 3']],
    ['spawn mode (Node spawn)', { WQ_SPAWN_HELPER: '' }, ['sh', '-c', 'echo started; exit 3']],
    [
      'persistent mode (timeout)',
      {},
      ['--timeout', '1', '--persistent', '--', ...persistent(`console.log('started');`)],
    ],
  ])('%s: a message id cannot forge log lines or drive the terminal', async (_mode, env, program) => {
    // GIVEN a message whose id holds a newline, a fake worker line and an escape sequence
    await broker.publish(queue, ['x'], { messageId: forged });
    // WHEN its program prints a line and fails
    const exit = await runWorker(['-u', brokerUrl(), '-q', queue, '-c', '1', '--max-attempts', '1', ...program], env);
    // THEN no output line holds a raw escape or starts as the fake line; the id shows escaped in tag and log
    expect(exit.code).toBe(0);
    const output = exit.stdout + exit.stderr;
    expect(output).not.toContain('\x1b');
    expect(output.split('\n').filter((line) => line.startsWith('workqueue-worker: message payroll'))).toEqual([]);
    expect(exit.stderr).toContain(`message ${escaped} failed: `);
    if (!program.includes('--persistent')) expect(exit.stdout).toContain(`[${escaped}] started\n`);
    else expect(exit.stderr).toContain(`program 1: message ${escaped} timed out; restarting it`);
  });

  it('persistent mode: a >1 MiB answer line fails its message, says why, restarts the program, low RSS', async () => {
    // GIVEN a program that answers 'big' with a 50 MB line, and a small message behind it
    await broker.publish(queue, ['big', 'small']);
    const big = `'{"id":"' + m.id + '","ok":true,"pad":"' + 'x'.repeat(50 * 2 ** 20) + '"}\\n'`;
    const program = persistent(
      `if (Buffer.from(m.body, 'base64').toString() === 'big') process.stdout.write(${big}); ` +
        `else say({ id: m.id, ok: true });`,
    );
    // WHEN one worker handles both, its peak resident memory watched
    const worker = new WorkerProcess([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '-c',
      '2',
      '--max-attempts',
      '1',
      '-p',
      '1',
      '--persistent',
      '--concurrency',
      '1',
      '--',
      ...program,
    ]);
    const [exit, peakKiB] = await Promise.all([worker.finish(), peakRssKiB(worker.child.pid!, worker.exited)]);
    // THEN the worker never held the line (before: 663 MiB); 'big' is dead-lettered saying why,
    // the program was restarted and 'small' acked
    console.log(`peak RSS with a 50 MB answer line: ${(peakKiB / 1024).toFixed(1)} MiB`);
    expect(peakKiB).toBeLessThan(100 * 1024);
    expect(exit.code).toBe(0);
    expect(exit.stderr).toContain('program 1: answer line longer than 1048576 bytes (the limit); restarting it');
    const dead = await broker.drain(`${queue}.dlq`);
    expect(dead.map((d) => d.body.toString())).toEqual(['big']);
    expect(String(dead[0].properties.headers?.['x-wq-reason'])).toContain(
      'program restarted: answer line longer than 1048576 bytes',
    );
    expect(await broker.count(queue)).toBe(0);
  });

  it('persistent mode: a UTF-8 character split across two writes arrives intact, in output and an answer', async () => {
    // GIVEN a program that writes an output line and an error answer, each cut inside "é", a moment apart
    await broker.publish(queue, ['x']);
    const program = persistent(
      `const out = Buffer.from('données\\n' + JSON.stringify({ id: m.id, ok: false, error: 'données' }) + '\\n'); ` +
        `const a = out.indexOf(0xc3) + 1, b = out.indexOf(0xc3, a) + 1; process.stdout.write(out.subarray(0, a)); ` +
        `setTimeout(() => process.stdout.write(out.subarray(a, b)), 100); ` +
        `setTimeout(() => process.stdout.write(out.subarray(b)), 200);`,
    );
    // WHEN the worker runs it
    const exit = await runWorker([
      '-u',
      brokerUrl(),
      '-q',
      queue,
      '-c',
      '1',
      '--max-attempts',
      '1',
      '--persistent',
      '--',
      ...program,
    ]);
    // THEN both read "données"
    expect(exit.code).toBe(0);
    expect(exit.stdout).toContain('[program-1] données\n');
    expect(exit.stderr).toContain('failed: program answered error: données (attempt 1 of 1)');
    const [dead] = await broker.drain(`${queue}.dlq`);
    expect(String(dead.properties.headers?.['x-wq-reason'])).toBe('program answered error: données');
  });

  it('persistent mode: an output line over 1 MiB is cut with a marker, and the message still succeeds', async () => {
    // GIVEN a program that prints a 3 MiB line of y's on stderr, then answers ok
    await broker.publish(queue, ['x']);
    const program = persistent(
      `process.stderr.write('y'.repeat(3 * 2 ** 20) + '\\nafter\\n'); say({ id: m.id, ok: true });`,
    );
    // WHEN the worker runs it
    const exit = await runWorker(['-u', brokerUrl(), '-q', queue, '-c', '1', '--persistent', '--', ...program]);
    // THEN the line shows its first 1 MiB and the marker, the next line is whole, the message acked
    expect(exit.code).toBe(0);
    // (the worker's own lines may come in between: stdout and stderr are separate pipes)
    expect(exit.stderr).toContain(`\n[program-1] ${'y'.repeat(2 ** 20)} [line cut: longer than 1048576 bytes]\n`);
    expect(exit.stderr).toContain('\n[program-1] after\n');
    expect(await broker.count(queue)).toBe(0);
    expect(await broker.count(`${queue}.dlq`)).toBe(0);
  });

  // 320,000 lines of 200 x's (64 MB), printed as fast as the program can.
  const LINES = 320_000;
  const WIDTH = 200;
  it.each([
    [
      'persistent mode',
      {},
      '[program-1] ',
      [
        '--persistent',
        '--',
        ...persistent(
          `const chunk = Buffer.from(('x'.repeat(${WIDTH}) + '\\n').repeat(1000)); let n = 0; ` +
            `(function go() { while (n < ${LINES / 1000}) { n++; ` +
            `if (!process.stdout.write(chunk)) return process.stdout.once('drain', go); } ` +
            `say({ id: m.id, ok: true }); })();`,
        ),
      ],
    ],
    [
      'spawn mode (Node spawn)',
      { WQ_SPAWN_HELPER: '' },
      '[flood] ',
      ['sh', '-c', `yes "$(printf '%${WIDTH}s' | tr ' ' x)" | head -n ${LINES}`],
    ],
  ])(
    '%s: a slow reader of the output slows the program, memory stays bounded, all output arrives',
    async (mode, env, tag, program) => {
      // GIVEN a message whose program floods 64 MB of output
      await broker.publish(queue, ['x'], { messageId: 'flood' });
      // WHEN the worker's stdout is read slowly, its peak resident memory watched
      const exit = await runWithSlowReader(['-u', brokerUrl(), '-q', queue, '-c', '1', ...program], env);
      // THEN memory stayed low (before: it grew with the output), and every line arrived, tagged, though
      // the worker exited right after (before: what was still buffered at exit was lost)
      console.log(`${mode}: peak RSS under a 64 MB flood read slowly: ${(exit.peakKiB / 1024).toFixed(1)} MiB`);
      expect(exit.peakKiB).toBeLessThan(100 * 1024);
      expect(exit.code).toBe(0);
      expect(exit.stdoutLines).toBe(LINES);
      expect(exit.stdoutBytes).toBe(LINES * (tag.length + WIDTH + 1));
      expect(exit.lastLine).toBe(tag + 'x'.repeat(WIDTH));
    },
  );
});
