import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import type { Readable } from 'node:stream';
import { Backoff } from '../broker/backoff';
import { LineSplitter, MAX_LINE_BYTES } from '../process/line-splitter';
import type { Logger } from '../observability/logger';
import type { MessageHandler } from './message-handler';
import type { MessageMeta } from '../consumer/message-meta';
import { SUCCESS, type Outcome } from '../consumer/outcome';
import { whenDrained } from '../process/output-drain';
import { printable } from '../observability/printable';
import { programEnv } from '../process/program-env';
import { reapGroup, signalGroup, stopInStages } from '../process/process-group';
import { KILL_AFTER_MS } from '../process/spawn-program';

export interface PersistentOptions {
  readonly program: string;
  readonly args: readonly string[];
  /** Programs running side by side; messages go to the one with the fewest in flight. */
  readonly programs: number;
  readonly queue: string;
  readonly log: Logger;
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream;
  /** The worker's credentials programs see all the same (see program-env.ts). @default [] */
  readonly passEnv?: readonly string[];
}

/** A message handler that also stops what it started. */
export interface ClosableHandler {
  readonly handler: MessageHandler;
  /** Closes the programs' stdin, then stops them after KILL_AFTER_MS. Safe to call twice. */
  close(): Promise<void>;
}

interface InFlight {
  readonly settle: (outcome: Outcome) => void;
  readonly signal: AbortSignal;
  readonly meta: MessageMeta;
}

/** The messages of a slot that wait on one abort signal, and the one listener that fails them when it fires. */
interface Watch {
  readonly ids: Set<string>;
  readonly onAbort: () => void;
}

/** The first byte of an answer line: only such lines are parsed, and only they may not be cut. */
const ANSWER_START = 0x7b; // '{'
/**
 * The answer nearly every program writes, {"id": "m17", "ok": true} with JSON's spacing. Matched without
 * JSON.parse, which would intern every id in V8's string table; it is plain ASCII JSON, so reading it as
 * latin1 is reading it as UTF-8, and a line that does not match goes to JSON.parse.
 */
const WS = '[ \\t\\r]*'; // JSON's whitespace; the newline ended the line
const PLAIN_SUCCESS = new RegExp(`^\\{${WS}"id"${WS}:${WS}"(m\\d{1,16})"${WS},${WS}"ok"${WS}:${WS}true${WS}\\}${WS}$`);

interface Answer {
  readonly id: string;
  readonly ok: boolean;
  readonly error?: string;
}

/** The answer a line holds, or undefined when the line is not an answer (then it is the program's output). */
function parseAnswer(line: Buffer): Answer | undefined {
  if (line[0] !== ANSWER_START) return undefined;
  const plain = PLAIN_SUCCESS.exec(line.toString('latin1'));
  if (plain) return { id: plain[1], ok: true };
  let parsed: { id?: unknown; ok?: unknown; error?: unknown };
  try {
    parsed = JSON.parse(line.toString('utf8')) as typeof parsed;
  } catch {
    return undefined;
  }
  if (typeof parsed.id !== 'string' || typeof parsed.ok !== 'boolean') return undefined;
  return { id: parsed.id, ok: parsed.ok, error: typeof parsed.error === 'string' ? parsed.error : undefined };
}

/** A message whose timeout or the shutdown came while it waited for a program to be up. */
const NOT_TAKEN: Outcome = { ok: false, reason: 'no program took it in time' };

/** Ends an output line that was cut at MAX_LINE_BYTES. */
const CUT_MARKER = Buffer.from(` [line cut: longer than ${MAX_LINE_BYTES} bytes]`);
const NEWLINE = Buffer.from('\n');

/**
 * --persistent: PROGRAM starts once per slot and stays up. Each message is one JSON line on its
 * stdin, {"id","body" (base64),"meta"}; it answers one line per message on stdout,
 * {"id","ok":true} or {"id","ok":false,"error"}, in any order. Other output lines are copied,
 * tagged with the slot (bytes as the program wrote them: the program's output, its own to escape;
 * the tag starts every line, so no output can pass for another program's or the worker's own
 * line). Lines longer than MAX_LINE_BYTES are cut with a marker; an answer that long fails the
 * program's messages and restarts it. Output is copied with backpressure: while the worker's
 * stdout or stderr is full, the program's pipe is not read. A program that exits fails its
 * unanswered messages and is restarted with backoff; one that lets a message time out is restarted.
 */
export function persistentHandler(options: PersistentOptions): ClosableHandler {
  const slots = Array.from({ length: options.programs }, (_, i) => new Slot(i + 1, options));
  let nextId = 0;
  const send = (slot: Slot | undefined, body: Buffer, meta: MessageMeta, signal: AbortSignal): Promise<Outcome> =>
    slot ? slot.send(`m${++nextId}`, body, meta, signal) : Promise.resolve(NOT_TAKEN);
  // No promise to wait on while a program is up, which is nearly always.
  const handler: MessageHandler = (body, meta, signal) => {
    const slot = leastLoaded(slots);
    return slot ? send(slot, body, meta, signal) : waitForSlot(slots, signal).then((s) => send(s, body, meta, signal));
  };
  return {
    handler,
    close: async () => {
      await Promise.all(slots.map((s) => s.close()));
    },
  };
}

/** The running slot with the fewest messages in flight, if any is up. */
function leastLoaded(slots: readonly Slot[]): Slot | undefined {
  let best: Slot | undefined;
  for (const s of slots) if (s.up && (!best || s.load < best.load)) best = s;
  return best;
}

/** Waits until a slot is up and returns the least loaded one; undefined once `signal` is aborted first. */
async function waitForSlot(slots: readonly Slot[], signal: AbortSignal): Promise<Slot | undefined> {
  let aborted: Promise<void> | undefined; // made only when there is something to wait for
  let onAbort: (() => void) | undefined;
  try {
    for (;;) {
      const best = leastLoaded(slots);
      if (best) return best;
      if (signal.aborted) return undefined;
      aborted ??= new Promise((resolve) => {
        onAbort = () => resolve();
        signal.addEventListener('abort', onAbort, { once: true });
      });
      await Promise.race([...slots.map((s) => s.whenUp()), aborted]);
    }
  } finally {
    // The signal may be shared by every attempt (no timeout): a listener left behind would stay until shutdown.
    if (onAbort) signal.removeEventListener('abort', onAbort);
  }
}

class Slot {
  private child?: ChildProcessWithoutNullStreams;
  private readonly inFlight = new Map<string, InFlight>();
  /**
   * One abort listener per signal, not one per message: attempts without a timeout share one signal, and a
   * listener added and removed per message cost more than the rest of the hand-over.
   */
  private readonly watches = new Map<AbortSignal, Watch>();
  private readonly backoff = new Backoff();
  private upWaiters: (() => void)[] = [];
  private closed = false;
  private restartTimer?: NodeJS.Timeout;
  private exited?: Promise<void>;
  /** Lines for the program's stdin, written together once per turn of the event loop. */
  private outbox?: { readonly child: ChildProcessWithoutNullStreams; readonly lines: string[] };
  private outboxFlush?: NodeJS.Immediate;
  /** Groups of exited programs until nothing of them runs: close() waits for them. */
  private readonly reaping = new Set<Promise<void>>();
  up = false;

  constructor(
    private readonly n: number,
    private readonly options: PersistentOptions,
  ) {
    this.start();
  }

  get load(): number {
    return this.inFlight.size;
  }

  whenUp(): Promise<void> {
    return new Promise((resolve) => (this.up ? resolve() : this.upWaiters.push(resolve)));
  }

  send(id: string, body: Buffer, meta: MessageMeta, signal: AbortSignal): Promise<Outcome> {
    const child = this.child;
    if (!child || !this.up) return Promise.resolve({ ok: false, reason: 'the program was restarting' });
    // An abort listener added now would never be called.
    if (signal.aborted) return Promise.resolve(NOT_TAKEN);
    // Made first: a message it cannot be made of fails without leaving anything in flight.
    const line = `${JSON.stringify({ id, body: body.toString('base64'), meta })}\n`;
    return new Promise<Outcome>((resolve) => {
      this.inFlight.set(id, { settle: resolve, signal, meta });
      this.watch(signal, id);
      this.post(child, line);
    });
  }

  private watch(signal: AbortSignal, id: string): void {
    let watch = this.watches.get(signal);
    if (!watch) {
      const ids = new Set<string>();
      watch = { ids, onAbort: () => this.aborted(signal, ids) };
      signal.addEventListener('abort', watch.onAbort, { once: true });
      this.watches.set(signal, watch);
    }
    watch.ids.add(id);
  }

  /** Takes message `id` out of flight; its signal's listener goes when no message waits on it any more. */
  private take(id: string): InFlight | undefined {
    const waiting = this.inFlight.get(id);
    if (!waiting) return undefined;
    this.inFlight.delete(id);
    const watch = this.watches.get(waiting.signal);
    if (watch?.ids.delete(id) && watch.ids.size === 0) {
      waiting.signal.removeEventListener('abort', watch.onAbort);
      this.watches.delete(waiting.signal);
    }
    return waiting;
  }

  /** A timeout restarts the program (it failed to answer); a shutdown gives the messages back. */
  private aborted(signal: AbortSignal, ids: Set<string>): void {
    this.watches.delete(signal);
    const timedOut = signal.reason === 'timeout';
    let first: string | undefined;
    for (const id of [...ids]) {
      const waiting = this.take(id);
      if (!waiting) continue;
      first ??= waiting.meta.messageId ? printable(waiting.meta.messageId) : id;
      waiting.settle({ ok: false, reason: timedOut ? 'program did not answer; restarting it' : 'stopped by shutdown' });
    }
    if (timedOut && first !== undefined) this.restart(`message ${first} timed out`);
  }

  /**
   * Queues a line for `child`'s stdin; the lines of one turn of the event loop go in one write, not one
   * write (and one system call) each. Lines for a program that has since been replaced are dropped:
   * its restart failed their messages already.
   */
  private post(child: ChildProcessWithoutNullStreams, line: string): void {
    if (this.outbox?.child !== child) this.outbox = { child, lines: [] };
    this.outbox.lines.push(line);
    this.outboxFlush ??= setImmediate(() => this.flushOutbox());
  }

  private flushOutbox(): void {
    clearImmediate(this.outboxFlush);
    this.outboxFlush = undefined;
    const outbox = this.outbox;
    this.outbox = undefined;
    if (outbox && outbox.child === this.child && outbox.lines.length > 0)
      outbox.child.stdin.write(outbox.lines.join(''));
  }

  private start(): void {
    const { program, args, queue } = this.options;
    // Its own process group, so that a restart also stops whatever it started.
    const child = spawn(program, [...args], {
      stdio: 'pipe',
      detached: true,
      env: { ...programEnv(this.options.passEnv ?? []), WQ_QUEUE: queue, WQ_SLOT: String(this.n) },
    });
    this.child = child;
    const prefix = Buffer.from(`[program-${this.n}] `);
    const stdout = this.options.stdout ?? process.stdout;
    const stderr = this.options.stderr ?? process.stderr;
    const copy = (to: NodeJS.WritableStream, line: Buffer, marker?: Buffer) =>
      to.write(Buffer.concat(marker ? [prefix, line, marker, NEWLINE] : [prefix, line, NEWLINE]));
    const answers = new LineSplitter({
      line: (line) => {
        if (!this.answer(line)) copy(stdout, line);
      },
      tooLong: (head) => {
        if (head[0] !== ANSWER_START) copy(stdout, head, CUT_MARKER);
        else this.restart(`answer line longer than ${MAX_LINE_BYTES} bytes (the limit)`);
      },
    });
    const errors = new LineSplitter({
      line: (line) => copy(stderr, line),
      tooLong: (head) => copy(stderr, head, CUT_MARKER),
    });
    readLines(child.stdout, answers, stdout);
    readLines(child.stderr, errors, stderr);
    child.stdin.on('error', () => undefined); // a program that died: its exit is reported below
    this.exited = new Promise((resolve) => child.on('close', () => resolve()));
    child.on('error', (err: NodeJS.ErrnoException) =>
      this.ended(child, `cannot start ${program}: ${err.code ?? err.message}`),
    );
    child.on('exit', () => {
      // What it left behind goes with it: TERM, then KILL, whether or not it holds the pipes open.
      const reaped = reapGroup(child.pid, KILL_AFTER_MS);
      this.reaping.add(reaped);
      void reaped.then(() => this.reaping.delete(reaped));
    });
    // Ended once its output is read to the end: answers it wrote just before exiting still count.
    child.on('close', (code, sig) => this.ended(child, sig ? `killed by ${sig}` : `exit code ${code}`));
    this.up = true;
    for (const wake of this.upWaiters.splice(0)) wake();
  }

  /** Settles the message a line answers; false when the line is not an answer. */
  private answer(line: Buffer): boolean {
    const parsed = parseAnswer(line);
    if (!parsed) return false;
    const waiting = this.take(parsed.id);
    if (!waiting) return true; // an answer after a timeout or shutdown: nothing waits for it
    this.backoff.reset();
    waiting.settle(
      parsed.ok ? SUCCESS : { ok: false, reason: `program answered error: ${parsed.error ?? 'no reason given'}` },
    );
    return true;
  }

  /** The program is gone: fail what it held, and start it again unless closing. */
  private ended(child: ChildProcessWithoutNullStreams, why: string): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.up = false;
    this.failAll(`program ended before answering (${why})`);
    if (this.closed) return;
    const wait = this.backoff.next();
    this.options.log.error(
      `program ${this.n} (${this.options.program}) ended: ${why}; restarting it in ${(wait / 1000).toFixed(1)} s`,
    );
    this.restartTimer = setTimeout(() => this.start(), wait);
  }

  private failAll(reason: string): void {
    for (const id of [...this.inFlight.keys()]) this.take(id)?.settle({ ok: false, reason });
  }

  /**
   * Stops the program (its whole group) and fails what it held; new messages wait for the next
   * one, which its close handler starts.
   */
  private restart(why: string): void {
    const child = this.child;
    if (!child || !this.up) return;
    this.up = false;
    this.failAll(`program restarted: ${why}`);
    this.options.log.error(`program ${this.n}: ${why}; restarting it`);
    stopInStages((signal) => signalGroup(child.pid, signal), KILL_AFTER_MS);
  }

  /** Resolves once the program has ended and nothing of its process groups runs. */
  async close(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      clearTimeout(this.restartTimer);
      await this.stopProgram();
    }
    await this.exited;
    while (this.reaping.size > 0) await Promise.all(this.reaping);
  }

  private async stopProgram(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.flushOutbox();
    child.stdin.end(); // EOF: a well-behaved program finishes and exits
    // A program that does not finish within KILL_AFTER_MS of its EOF is stopped like any other.
    const cancelStop = stopInStages((signal) => signalGroup(child.pid, signal), KILL_AFTER_MS, KILL_AFTER_MS);
    await this.exited;
    cancelStop();
  }
}

/** Feeds a program's output to `lines`, not reading on while `to` is full (backpressure). */
function readLines(from: Readable, lines: LineSplitter, to: NodeJS.WritableStream): void {
  from.on('data', (chunk: Buffer) => {
    lines.push(chunk);
    const full = whenDrained(to);
    if (!full) return;
    from.pause();
    void full.then(() => from.resume());
  });
  from.on('end', () => lines.end());
}
