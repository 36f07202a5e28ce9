/**
 * npm run bench [-- --messages N --fast-messages N --size BYTES]
 *
 * Three runs per contender against one broker: each fills a fresh queue with the same messages
 * (persistent, confirmed), starts the consumer, and times it from the moment it takes its first
 * message until its process exits (the end time is taken in the exit event itself; start-up and
 * connection set-up are left out for every contender alike). Peak RSS is the largest sum of resident
 * memory over the consumer and the processes it keeps running (persistent programs, spawn helpers),
 * sampled every 20 ms. Prints the median of the three runs per contender; asserts nothing.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import * as amqp from 'amqplib';

interface Contender {
  readonly name: string;
  /** argv; QUEUE and COUNT are replaced. */
  readonly argv: readonly string[];
  readonly fast: boolean;
}

interface Result {
  readonly name: string;
  readonly messages: number;
  readonly perSecond: number;
  readonly peakRssMiB: number;
}

/** Runs of each contender; the table shows their median. */
const RUNS = 3;

const HELP = `Usage: npm run bench -- [--messages N] [--fast-messages N] [--size BYTES]

Measures, against the broker at $AMQP_URL (default amqp://guest:guest@127.0.0.1:5672), the
messages/s of amqp-consume (when installed), workqueue-worker in spawn mode (concurrency 1 and
default), persistent mode, in-process mode, and a bare amqplib consumer that only acks.

  --messages N       messages for the process-per-message contenders (default 2000)
  --fast-messages N  messages for persistent, in-process and bare (default 100000)
  --size BYTES       body size (default 16)

Example: npm run bench -- --messages 5000 --size 1024
`;

const root = join(__dirname, '..');
const worker = join(root, 'dist', 'workqueue-worker.js');

function parse(argv: readonly string[]): { messages: number; fastMessages: number; size: number } {
  const out = { messages: 2000, fastMessages: 100_000, size: 16 };
  const keys: Record<string, keyof typeof out> = {
    '--messages': 'messages',
    '--fast-messages': 'fastMessages',
    '--size': 'size',
  };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '-h' || argv[i] === '--help') {
      process.stdout.write(HELP);
      process.exit(0);
    }
    const key = keys[argv[i]];
    const value = Number(argv[i + 1]);
    if (!key || !Number.isInteger(value) || value < (key === 'size' ? 0 : 1)) {
      process.stderr.write(`bench: bad option '${argv[i]} ${argv[i + 1] ?? ''}' (see --help)\n`);
      process.exit(2);
    }
    out[key] = value;
    i++;
  }
  return out;
}

function contenders(url: string): Contender[] {
  const list: Contender[] = [];
  const amqpConsume = ['/usr/bin/amqp-consume', '/usr/local/bin/amqp-consume'].find(existsSync);
  if (amqpConsume)
    list.push({
      name: 'amqp-consume -- cat',
      argv: [amqpConsume, '--url', url, '-q', 'QUEUE', '-c', 'COUNT', '--', 'cat'],
      fast: false,
    });
  const w = [worker, '-u', url, '-q', 'QUEUE', '-c', 'COUNT'];
  list.push({
    name: 'workqueue-worker --concurrency 1 -- cat',
    argv: [...w, '--concurrency', '1', '--', 'cat'],
    fast: false,
  });
  list.push({ name: 'workqueue-worker -- cat (defaults)', argv: [...w, '--', 'cat'], fast: false });
  list.push({
    name: 'workqueue-worker --persistent -- python3',
    argv: [...w, '--persistent', '--', 'python3', join(__dirname, 'persistent-ok.py')],
    fast: true,
  });
  list.push({
    name: 'workqueue-worker --module (in-process)',
    argv: [...w, '--module', join(__dirname, 'noop-handler.js')],
    fast: true,
  });
  list.push({
    name: 'bare amqplib consumer, ack only',
    argv: [process.execPath, join(__dirname, 'bare-consumer.js'), url, 'QUEUE', 'COUNT'],
    fast: true,
  });
  return list;
}

async function fill(channel: amqp.ConfirmChannel, queue: string, count: number, size: number): Promise<void> {
  await channel.assertQueue(queue, { durable: true });
  const body = Buffer.alloc(size, 'x');
  for (let i = 0; i < count; i++) {
    channel.sendToQueue(queue, body, { persistent: true, messageId: `bench-${i}` });
    if (i % 1000 === 999) await channel.waitForConfirms();
  }
  await channel.waitForConfirms();
}

/** Resident memory of `pid` and all its descendants, in bytes. */
function treeRss(pid: number): number {
  let total = 0;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    total += Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean))
        total += treeRss(Number(child));
    }
  } catch {
    // the process ended between two reads
  }
  return total;
}

async function measure(c: Contender, connection: amqp.ChannelModel, count: number, size: number): Promise<Result> {
  const queue = `wq-bench-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  const channel = await connection.createConfirmChannel();
  await fill(channel, queue, count, size);
  const argv = c.argv.map((a) => (a === 'QUEUE' ? queue : a === 'COUNT' ? String(count) : a));
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // The end is the moment the process exits, taken in the event itself, not by the polling below.
  let end: number | undefined;
  child.on('exit', () => (end ??= performance.now()));
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  let peak = 0;
  let firstTaken: number | undefined;
  let done = false;
  void exited.then(() => (done = true));
  // Until the first message is taken, poll the queue; afterwards, only memory.
  while (!done) {
    if (firstTaken === undefined) {
      const { messageCount } = await channel.checkQueue(queue);
      if (messageCount < count) firstTaken = performance.now();
    }
    if (child.pid !== undefined && end === undefined) peak = Math.max(peak, treeRss(child.pid));
    await new Promise((r) => setTimeout(r, firstTaken === undefined ? 2 : 20));
  }
  const code = await exited;
  const ended = end ?? performance.now();
  const left = (await channel.checkQueue(queue)).messageCount;
  await channel.deleteQueue(queue);
  await channel.deleteQueue(`${queue}.dlq`).catch(() => undefined);
  await channel.close();
  if (code !== 0 || left !== 0)
    throw new Error(`${c.name} exited ${code} with ${left} message(s) left: ${stderr.trim().split('\n').pop()}`);
  const seconds = (ended - (firstTaken ?? ended)) / 1000;
  return { name: c.name, messages: count, perSecond: count / seconds, peakRssMiB: peak / 2 ** 20 };
}

async function main(): Promise<void> {
  const { messages, fastMessages, size } = parse(process.argv.slice(2));
  if (!existsSync(worker)) throw new Error(`${worker} is missing: run npm run build`);
  // Spawn mode starts one process per message: this machine's own rate bounds it, so the table says it.
  process.stderr.write('bench: fork/exec rate of this machine (/bin/true from sh, alone and two side by side)...\n');
  const forkAlone = forkExecRate(1);
  const forkTwo = forkExecRate(2);
  const url = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
  const connection = await amqp.connect(url);
  const results: Result[] = [];
  const runs = new Map<string, number[]>();
  for (const c of contenders(url)) {
    const count = c.fast ? fastMessages : messages;
    const each: Result[] = [];
    for (let run = 1; run <= RUNS; run++) {
      process.stderr.write(`bench: ${c.name}: ${count} messages of ${size} bytes (run ${run} of ${RUNS})...\n`);
      each.push(await measure(c, connection, count, size));
    }
    runs.set(
      c.name,
      each.map((r) => r.perSecond),
    );
    const perSecond = median(each.map((r) => r.perSecond));
    results.push({ name: c.name, messages: count, perSecond, peakRssMiB: median(each.map((r) => r.peakRssMiB)) });
  }
  await connection.close();
  const base = results.find((r) => r.name.startsWith('amqp-consume'));
  const bare = results.find((r) => r.name.startsWith('bare'));
  const ratio = (r: Result, to: Result | undefined) => (to ? `${(r.perSecond / to.perSecond).toFixed(2)}x` : '-');
  const rows = [
    ['consumer', 'messages', 'msg/s (median)', 'runs msg/s', 'vs amqp-consume', 'vs bare amqplib', 'peak RSS MiB'],
    ...results.map((r) => {
      const each = runs
        .get(r.name)!
        .map((x) => x.toFixed(0))
        .join(' / ');
      return [
        r.name,
        String(r.messages),
        r.perSecond.toFixed(0),
        each,
        ratio(r, base),
        ratio(r, bare),
        r.peakRssMiB.toFixed(1),
      ];
    }),
  ];
  const widths = rows[0].map((_, i) => Math.max(...rows.map((row) => row[i].length)));
  for (const row of rows) process.stdout.write(`| ${row.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |\n`);
  process.stdout.write(
    `\n${size}-byte bodies; rates from the first message taken to the process's exit, ` +
      `median of ${RUNS} runs (peak RSS: median too); same broker.\n` +
      `fork/exec of /bin/true on this machine: ${forkAlone.toFixed(0)}/s alone, ` +
      `${forkTwo.toFixed(0)}/s two side by side (spawn mode runs one program per message).\n`,
  );
}

/** Processes started per second by `loops` shell loops of /bin/true side by side: what spawn mode can reach here. */
function forkExecRate(loops: number, each = 2000): number {
  const loop = `i=0; while [ $i -lt ${each} ]; do /bin/true; i=$((i+1)); done`;
  const script = `${Array.from({ length: loops }, () => `(${loop}) &`).join(' ')} wait`;
  const started = performance.now();
  const run = spawnSync('/bin/sh', ['-c', script], { stdio: 'ignore' });
  if (run.status !== 0) throw new Error(`the fork/exec loop failed (${run.status ?? run.signal})`);
  return (loops * each) / ((performance.now() - started) / 1000);
}

function median(xs: readonly number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

main().catch((err: unknown) => {
  process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
