import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { Backoff } from './backoff';
import { lineSplitter } from './line-splitter';
import type { Logger } from './logger';
import type { MessageHandler } from './message-handler';
import type { MessageMeta } from './message-meta';
import type { Outcome } from './outcome';
import { printable } from './printable';
import { programEnv } from './program-env';
import { signalGroup } from './process-group';
import { KILL_AFTER_MS } from './spawn-program';

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
}

/**
 * --persistent: PROGRAM starts once per slot and stays up. Each message is one JSON line on its
 * stdin, {"id","body" (base64),"meta"}; it answers one line per message on stdout,
 * {"id","ok":true} or {"id","ok":false,"error"}, in any order. Other output lines are copied,
 * tagged with the slot. A program that exits fails its unanswered messages and is restarted
 * with backoff; one that lets a message time out is restarted.
 */
export function persistentHandler(options: PersistentOptions): ClosableHandler {
  const slots = Array.from({ length: options.programs }, (_, i) => new Slot(i + 1, options));
  let nextId = 0;
  const handler: MessageHandler = async (body, meta, signal) => {
    const slot = await pickSlot(slots, signal);
    if (!slot) return { ok: false, reason: 'stopped before a program was up' };
    return slot.send(`m${++nextId}`, body, meta, signal);
  };
  return {
    handler,
    close: async () => {
      await Promise.all(slots.map((s) => s.close()));
    },
  };
}

/** The running slot with the fewest messages in flight; waits while none is up. */
async function pickSlot(slots: Slot[], signal: AbortSignal): Promise<Slot | undefined> {
  let aborted: Promise<void> | undefined; // made only when there is something to wait for
  for (;;) {
    let best: Slot | undefined;
    for (const s of slots) if (s.up && (!best || s.load < best.load)) best = s;
    if (best) return best;
    if (signal.aborted) return undefined;
    aborted ??= new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
    await Promise.race([...slots.map((s) => s.whenUp()), aborted]);
  }
}

class Slot {
  private child?: ChildProcessWithoutNullStreams;
  private readonly inFlight = new Map<string, InFlight>();
  private readonly backoff = new Backoff();
  private upWaiters: (() => void)[] = [];
  private closed = false;
  private restartTimer?: NodeJS.Timeout;
  private exited?: Promise<void>;
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
    const child = this.child!;
    return new Promise<Outcome>((resolve) => {
      const onAbort = () => {
        this.inFlight.delete(id);
        if (signal.reason === 'timeout') {
          resolve({ ok: false, reason: `program did not answer; restarting it` });
          this.restart(`message ${meta.messageId ? printable(meta.messageId) : id} timed out`);
        } else {
          resolve({ ok: false, reason: 'stopped by shutdown' });
        }
      };
      this.inFlight.set(id, {
        settle: (outcome) => {
          signal.removeEventListener('abort', onAbort);
          resolve(outcome);
        },
      });
      signal.addEventListener('abort', onAbort, { once: true });
      child.stdin.write(`${JSON.stringify({ id, body: body.toString('base64'), meta })}\n`);
    });
  }

  private start(): void {
    const { program, args, queue } = this.options;
    // Its own process group, so that a restart also stops whatever it started.
    const child = spawn(program, [...args], { stdio: 'pipe', detached: true, env: { ...programEnv(this.options.passEnv ?? []), WQ_QUEUE: queue, WQ_SLOT: String(this.n) } });
    this.child = child;
    const tag = `program-${this.n}`;
    const stdout = this.options.stdout ?? process.stdout;
    const stderr = this.options.stderr ?? process.stderr;
    const answers = lineSplitter((line) => {
      if (!this.answer(line)) stdout.write(`[${tag}] ${line}\n`);
    });
    const errors = lineSplitter((line) => stderr.write(`[${tag}] ${line}\n`));
    child.stdout.on('data', (chunk: Buffer) => answers.push(chunk));
    child.stderr.on('data', (chunk: Buffer) => errors.push(chunk));
    child.stdin.on('error', () => undefined); // a program that died: its exit is reported below
    this.exited = new Promise((resolve) => child.on('close', () => resolve()));
    child.on('error', (err: NodeJS.ErrnoException) => this.ended(child, `cannot start ${program}: ${err.code ?? err.message}`));
    child.on('exit', (code, sig) => {
      answers.end();
      errors.end();
      this.ended(child, sig ? `killed by ${sig}` : `exit code ${code}`);
    });
    this.up = true;
    for (const wake of this.upWaiters.splice(0)) wake();
  }

  /** Settles the message a line answers; false when the line is not an answer. */
  private answer(line: string): boolean {
    if (!line.startsWith('{')) return false;
    let parsed: { id?: unknown; ok?: unknown; error?: unknown };
    try {
      parsed = JSON.parse(line) as typeof parsed;
    } catch {
      return false;
    }
    if (typeof parsed.id !== 'string' || typeof parsed.ok !== 'boolean') return false;
    const waiting = this.inFlight.get(parsed.id);
    if (!waiting) return true; // an answer after a timeout or shutdown: nothing waits for it
    this.inFlight.delete(parsed.id);
    this.backoff.reset();
    waiting.settle(parsed.ok ? { ok: true } : { ok: false, reason: `program answered error: ${typeof parsed.error === 'string' ? parsed.error : 'no reason given'}` });
    return true;
  }

  /** The program is gone: fail what it held, and start it again unless closing. */
  private ended(child: ChildProcessWithoutNullStreams, why: string): void {
    if (this.child !== child || !this.up) return;
    this.up = false;
    for (const [, waiting] of this.inFlight) waiting.settle({ ok: false, reason: `program ended before answering (${why})` });
    this.inFlight.clear();
    if (this.closed) return;
    const wait = this.backoff.next();
    this.options.log.error(`program ${this.n} (${this.options.program}) ended: ${why}; restarting it in ${(wait / 1000).toFixed(1)} s`);
    this.restartTimer = setTimeout(() => this.start(), wait);
  }

  /** Stops the program (its whole group); its exit handler fails what it held and restarts it. */
  private restart(why: string): void {
    const child = this.child;
    if (!child || !this.up) return;
    this.options.log.error(`program ${this.n}: ${why}; restarting it`);
    signalGroup(child.pid, 'SIGTERM');
    setTimeout(() => signalGroup(child.pid, 'SIGKILL'), KILL_AFTER_MS).unref();
  }

  async close(): Promise<void> {
    if (this.closed) return this.exited;
    this.closed = true;
    clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    child.stdin.end(); // EOF: a well-behaved program finishes and exits
    const kill = setTimeout(() => signalGroup(child.pid, 'SIGTERM'), KILL_AFTER_MS);
    const kill2 = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), 2 * KILL_AFTER_MS);
    await this.exited;
    clearTimeout(kill);
    clearTimeout(kill2);
  }
}
