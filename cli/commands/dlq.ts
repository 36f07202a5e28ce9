import type * as amqp from 'amqplib';
import { captureRawHeaders, frameMaxOf, unpublishable } from '../../worker/broker/amqp-codec';
import { FatalError, UsageError } from '../../worker/command-line/errors';
import { wholeNumberProblem } from '../../worker/consumer/number-rules';
import { DEFAULT_URL } from '../../worker/consumer/options';
import { deadLetterQueueName, queueNameProblem } from '../../worker/consumer/queue-names';
import { HEADERS, returnedCopyProperties } from '../../worker/consumer/retry-publish';
import { errorText } from '../../worker/observability/logger';
import { printable } from '../../worker/observability/printable';
import { brokerUrlsOption, openFirstBroker } from '../broker-url-option';
import { parseFlags, text, type FlagSpec } from '../../worker/command-line/flags';
import { progress } from '../progress';

export const DLQ_HELP = `Usage: workqueue dlq ls -q QUEUE [-o table|json] [--scan N]
       workqueue dlq show -q QUEUE [-n N] [--bytes B] [-o table|json]
       workqueue dlq replay -q QUEUE [--limit N] [--reason TEXT]
       workqueue dlq purge -q QUEUE --yes

Looks at and acts on the dead letters of QUEUE (in QUEUE.dlq): messages whose attempts ran out.
  ls      how many, grouped by x-wq-reason, with the oldest and newest x-wq-dead-lettered-at
  show    the first N dead letters: properties, headers and the first bytes of each body; they stay
          where they are (read without ack, handed back when the command ends)
  replay  moves dead letters back to QUEUE with their attempt count reset: each copy is confirmed
          by the broker (and must reach QUEUE) before its dead letter is acked, so a replay killed
          half-way loses nothing; the copies in flight then may be in both queues (duplicates)
  purge   deletes every dead letter of QUEUE
Everything shown from a message is escaped: control characters as \\n, \\x1b, \\u202e...
With -o json, one JSON document (ls) or one JSON line per dead letter (show), bodies in base64.
Progress and the rate of a replay are shown on stderr. Bad input exits 2; a broker that cannot be
reached, or a queue that does not exist, exits 1.

Options:
  -q, --queue NAME     the queue whose dead letters (NAME.dlq) to use
  -u, --url URL        broker URL (default: $AMQP_URL, else ${DEFAULT_URL}); for a cluster, several
                       (repeat -u, or a comma-separated list): the first that answers is used
  -o, --output FORMAT  table (default) or json (ls, show)
      --scan N         ls: read at most N dead letters to group them (default: 10000,
                       at most 65535)
  -n N                 show: how many (default: 10, at most 65535)
      --bytes B        show: bytes of each body shown (default: 200)
      --limit N        replay: at most N dead letters (default: all)
      --reason TEXT    replay: only dead letters whose x-wq-reason contains TEXT (it stops
                       after passing over 65535 that do not)
      --yes            purge: really delete them
  -h, --help           show this help

Examples:
  workqueue dlq ls -q jobs
  workqueue dlq show -q jobs -n 3
  workqueue dlq show -q jobs -o json | jq -r '.headers["x-wq-reason"]'
  workqueue dlq replay -q jobs --reason 'exit code 75' --limit 1000
  workqueue dlq purge -q jobs --yes
`;

const SPECS: FlagSpec[] = [
  { names: ['-q', '--queue'], key: 'queue', value: true },
  { names: ['-u', '--url'], key: 'url', value: true },
  { names: ['-o', '--output'], key: 'output', value: true },
  { names: ['--scan'], key: 'scan', value: true },
  { names: ['-n'], key: 'n', value: true },
  { names: ['--bytes'], key: 'bytes', value: true },
  { names: ['--limit'], key: 'limit', value: true },
  { names: ['--reason'], key: 'reason', value: true },
  { names: ['--yes'], key: 'yes', value: false },
];

const ACTIONS = ['ls', 'show', 'replay', 'purge'] as const;
type Action = (typeof ACTIONS)[number];

/** Headers of a dead letter that describe its failed attempts: a replayed copy starts afresh without them. */
const RESET_HEADERS = [
  HEADERS.attempts,
  HEADERS.reason,
  HEADERS.lastExitCode,
  HEADERS.lastSignal,
  HEADERS.deadLetteredAt,
  HEADERS.originalQueue,
];
/** When a replayed copy was put back, for whoever wonders why it came again. */
const REPLAYED_AT_HEADER = 'x-wq-replayed-at';

export async function dlq(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { flags, values, positional } = parseFlags('dlq', argv, SPECS);
  const [action, ...extra] = positional;
  if (!ACTIONS.includes(action as Action))
    throw new UsageError(`dlq: name an action: ${ACTIONS.join(', ')}, not '${printable(action ?? '', 20)}'`);
  if (extra.length) throw new UsageError(`dlq ${action}: unexpected '${printable(extra[0], 40)}'`);
  const queue = text(flags, 'queue');
  if (!queue) throw new UsageError(`dlq ${action}: missing -q QUEUE`);
  const problem = queueNameProblem(queue, true);
  if (problem) throw new UsageError(`dlq ${action}: -q '${printable(queue, 60)}': ${problem}`);
  const output = text(flags, 'output') ?? 'table';
  if (output !== 'table' && output !== 'json')
    throw new UsageError(`dlq ${action}: -o/--output must be table or json, not '${printable(output, 20)}'`);
  const count = (key: string, flag: string, fallback: number, min = 1, max = Number.MAX_SAFE_INTEGER) => {
    const given = text(flags, key);
    if (given === undefined) return fallback;
    const n = Number(given);
    const bad = given.trim() === '' ? 'a whole number' : wholeNumberProblem(n, min, max);
    if (bad) throw new UsageError(`dlq ${action}: ${flag} must be ${bad}, not '${printable(given, 20)}'`);
    return n;
  };
  const options: DlqOptions = {
    queue,
    dead: deadLetterQueueName(queue),
    json: output === 'json',
    scan: count('scan', '--scan', 10_000, 1, MAX_PREFETCH),
    n: count('n', '-n', 10, 1, MAX_PREFETCH),
    bytes: count('bytes', '--bytes', 200, 0),
    limit: count('limit', '--limit', Infinity),
    reason: text(flags, 'reason'),
  };
  if (action === 'purge' && flags.yes !== true)
    throw new UsageError(`dlq purge: this deletes every dead letter of '${printable(queue, 60)}': add --yes`);
  const { connection } = await openFirstBroker('dlq', brokerUrlsOption('dlq', values, env));
  connection.on('error', () => undefined); // the failing call below reports it
  try {
    const total = await deadLetterCount(connection, options.dead);
    if (action === 'ls') await list(connection, options, total);
    else if (action === 'show') await show(connection, options, total);
    else if (action === 'replay') await replay(connection, options, total);
    else await purge(connection, options);
  } finally {
    await connection.close().catch(() => undefined); // already closed by an error reported above
  }
  return 0;
}

interface DlqOptions {
  readonly queue: string;
  readonly dead: string;
  readonly json: boolean;
  readonly scan: number;
  readonly n: number;
  readonly bytes: number;
  readonly limit: number;
  readonly reason: string | undefined;
}

async function deadLetterCount(connection: amqp.ChannelModel, dead: string): Promise<number> {
  const probe = await connection.createChannel();
  probe.on('error', () => undefined);
  try {
    return (await probe.checkQueue(dead)).messageCount;
  } catch (err) {
    if (/NOT_FOUND|404/.test(errorText(err)))
      throw new FatalError(`dlq: queue '${printable(dead, 60)}' does not exist (no dead letters ever)`);
    throw err;
  } finally {
    await probe.close().catch(() => undefined);
  }
}

/** Longest wait for the next dead letter while reading: the queue emptied (or others took them). */
const READ_IDLE_MS = 2000;
/** Most dead letters read without ack at once: RabbitMQ's largest prefetch. */
export const MAX_PREFETCH = 65_535;

/**
 * Calls `each` for up to `max` dead letters, read without ack on one channel, so that none is read twice;
 * closing the channel hands back those not acked, where they were. Consumes with a prefetch of `window`
 * (basic.get would cost a round trip each, and on a quorum queue a log write: ~20/s); `each` is awaited
 * before the next one, and returns false to stop.
 */
async function readDeadLetters(
  channel: amqp.Channel,
  dead: string,
  max: number,
  window: number,
  each: (message: amqp.Message) => Promise<boolean | void>,
): Promise<void> {
  if (max <= 0) return;
  await channel.prefetch(Math.min(window, MAX_PREFETCH));
  const arrived: amqp.Message[] = [];
  let wake: (() => void) | undefined;
  const { consumerTag } = await channel.consume(dead, (message) => {
    if (message) arrived.push(message);
    wake?.();
  });
  try {
    for (let seen = 0; seen < max; seen++) {
      if (arrived.length === 0) {
        let timer: NodeJS.Timeout | undefined;
        await new Promise<void>((resolve) => {
          wake = resolve;
          timer = setTimeout(resolve, READ_IDLE_MS);
        });
        clearTimeout(timer);
        wake = undefined;
      }
      const message = arrived.shift();
      if (!message) return;
      if ((await each(message)) === false) return;
    }
  } finally {
    await channel.cancel(consumerTag).catch(() => undefined);
  }
}

function header(message: amqp.Message, name: string): unknown {
  return message.properties.headers?.[name];
}

function headerString(message: amqp.Message, name: string): string | undefined {
  const value = header(message, name);
  return typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : undefined;
}

async function list(connection: amqp.ChannelModel, o: DlqOptions, total: number): Promise<void> {
  const channel = await connection.createChannel();
  const reasons = new Map<string, number>();
  let oldest: string | undefined;
  let newest: string | undefined;
  let scanned = 0;
  await readDeadLetters(channel, o.dead, Math.min(o.scan, total), o.scan, async (message) => {
    scanned += 1;
    const reason = headerString(message, HEADERS.reason) ?? '(none)';
    reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
    const at = headerString(message, HEADERS.deadLetteredAt);
    if (at !== undefined && (oldest === undefined || at < oldest)) oldest = at;
    if (at !== undefined && (newest === undefined || at > newest)) newest = at;
  });
  await channel.close();
  const groups = [...reasons].sort((a, b) => b[1] - a[1]).map(([reason, count]) => ({ reason, count }));
  if (o.json) {
    const report = { queue: o.queue, deadLetterQueue: o.dead, count: total, scanned, oldest, newest, reasons: groups };
    process.stdout.write(`${safeJson(report)}\n`);
    return;
  }
  const lines = [
    `${printable(o.dead)}: ${total} dead letter(s)${scanned < total ? ` (${scanned} read to group them)` : ''}`,
    ...(oldest ? [`oldest ${printable(oldest, 40)}, newest ${printable(newest ?? '', 40)}`] : []),
    ...(groups.length ? ['  COUNT  REASON'] : []),
    ...groups.map((g) => `${String(g.count).padStart(7)}  ${printable(g.reason)}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

async function show(connection: amqp.ChannelModel, o: DlqOptions, total: number): Promise<void> {
  const channel = await connection.createChannel();
  let index = 0;
  // No more than there are: reading on would wait for dead letters that do not come.
  await readDeadLetters(channel, o.dead, Math.min(o.n, total), o.n, async (message) => {
    index += 1;
    const head = message.content.subarray(0, o.bytes);
    const { headers, ...properties } = message.properties;
    const defined = Object.fromEntries(Object.entries(properties).filter(([, v]) => v !== undefined));
    if (o.json) {
      const line = {
        properties: defined,
        headers: headers ?? {},
        bodyBytes: message.content.length,
        body: head.toString('base64'),
      };
      process.stdout.write(`${safeJson(line)}\n`);
      return;
    }
    const out = [`--- dead letter ${index} (${message.content.length} bytes)`];
    for (const [k, v] of Object.entries(defined)) out.push(`  ${k}: ${printable(valueText(v))}`);
    for (const [k, v] of Object.entries(headers ?? {}))
      out.push(`  header ${printable(k, 80)}: ${printable(valueText(v))}`);
    const more = message.content.length > head.length ? `…(${message.content.length - head.length} more bytes)` : '';
    out.push(`  body: ${printable(head.toString('utf8'), o.bytes)}${more}`);
    process.stdout.write(`${out.join('\n')}\n`);
  });
  await channel.close(); // hands them all back
  if (index === 0 && !o.json) process.stdout.write(`${printable(o.dead)}: no dead letters\n`);
}

/** Copies a replay has in flight, awaiting their confirms: one at a time, a disk sync each, would be ~20/s. */
export const REPLAY_WINDOW = 256;

async function replay(connection: amqp.ChannelModel, o: DlqOptions, total: number): Promise<void> {
  captureRawHeaders(); // copies keep the headers' wire types, as the worker's copies do
  const channel = await connection.createConfirmChannel();
  channel.on('error', () => undefined); // the failing publish or get reports it
  // Copies are mandatory: one that no queue took comes back before its confirm. A return names no publish, so
  // after the first one no dead letter is acked any more (they all go back to the dead-letter queue).
  let returned = false;
  channel.on('return', () => (returned = true));
  let refused: string | undefined;
  const inFlight = new Set<Promise<void>>();
  const started = Date.now();
  let lastReport = started;
  let replayed = 0;
  let sent = 0;
  let skipped = 0;
  let unfitCount = 0;
  const frameMax = frameMaxOf(connection);
  const want = Math.min(o.limit, total);
  const report = (final: boolean) => {
    const rate = Math.round(replayed / Math.max(0.001, (Date.now() - started) / 1000));
    const skip =
      (skipped ? `, ${skipped} left (reason did not match)` : '') +
      (unfitCount ? `, ${unfitCount} left (cannot be copied)` : '');
    const what = final ? 'replayed' : 'replaying:';
    progress(`${what} ${replayed} of ${want} to '${printable(o.queue)}'${skip} (${rate} msg/s)`);
  };
  // Dead letters that do not match stay unacked until the end, so that they are not read again; then go back.
  // Skipped dead letters hold their prefetch slot until the end: with --reason, room for every one.
  const window = o.reason === undefined ? REPLAY_WINDOW : MAX_PREFETCH;
  await readDeadLetters(channel, o.dead, total, window, async (message) => {
    if (sent >= o.limit || returned || refused !== undefined) return false;
    if (o.reason !== undefined && !(headerString(message, HEADERS.reason) ?? '').includes(o.reason)) {
      skipped += 1;
      return true;
    }
    const properties = returnedCopyProperties(message);
    const headers = { ...(properties.headers as Record<string, unknown>) };
    for (const name of RESET_HEADERS) delete headers[name];
    headers[REPLAYED_AT_HEADER] = new Date().toISOString();
    const copy = { ...properties, headers, mandatory: true };
    // A dead letter amqplib cannot copy (a header table over 64 KiB...) stays dead; the ones behind it go on.
    const unfit = unpublishable(copy, message.content.length, frameMax);
    if (unfit !== undefined) {
      unfitCount += 1;
      progress(`dlq replay: dead letter ${describe(message)} stays in '${printable(o.dead, 60)}': ${printable(unfit)}`);
      return true;
    }
    sent += 1;
    const confirmed = new Promise<void>((resolve) => {
      channel.publish('', o.queue, message.content, copy, (err) => {
        if (err) refused ??= errorText(err);
        else if (!returned) {
          channel.ack(message); // only now: the broker confirmed the copy, and it reached QUEUE
          replayed += 1;
        }
        resolve();
      });
    });
    inFlight.add(confirmed);
    void confirmed.then(() => inFlight.delete(confirmed));
    if (inFlight.size >= REPLAY_WINDOW) await Promise.race(inFlight);
    if (Date.now() - lastReport >= 1000) {
      lastReport = Date.now();
      report(false);
    }
    return true;
  });
  await Promise.all(inFlight);
  if (returned)
    throw new FatalError(
      `dlq replay: queue '${printable(o.queue, 60)}' does not exist; ${replayed} replayed, the rest stay ` +
        `in '${printable(o.dead, 60)}' (start a worker or the broker that declares it first)`,
    );
  if (refused !== undefined)
    throw new FatalError(`dlq replay: the broker refused a copy (${printable(refused)}); ${replayed} replayed`);
  report(true);
  await channel.close(); // flushes the acks; hands back the skipped ones
}

async function purge(connection: amqp.ChannelModel, o: DlqOptions): Promise<void> {
  const channel = await connection.createChannel();
  const { messageCount } = await channel.purgeQueue(o.dead);
  await channel.close();
  progress(`purged ${messageCount} dead letter(s) from '${printable(o.dead)}'`);
}

/** A property or header value as text: buffers as their bytes, tables as JSON. */
function valueText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return JSON.stringify(value, jsonReplacer) ?? String(value);
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === 'bigint') return value.toString();
  if (value && typeof value === 'object' && (value as { type?: unknown }).type === 'Buffer') {
    return Buffer.from((value as { data: number[] }).data).toString('utf8');
  }
  return value;
}

/**
 * JSON whose text is safe on a terminal too: JSON escapes C0 controls itself; DEL, C1, line separators and
 * bidirectional controls (printable.ts) become \\u escapes, still valid JSON.
 */
function safeJson(value: unknown): string {
  return JSON.stringify(value, jsonReplacer).replace(
    /[\u007f-\u009f\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}

/** A dead letter as a line names it: its message id, else its delivery tag. */
function describe(message: amqp.Message): string {
  const id = message.properties.messageId;
  return typeof id === 'string' && id ? `'${printable(id, 60)}'` : `#${message.fields.deliveryTag}`;
}
