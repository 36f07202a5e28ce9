import { spawn } from 'node:child_process';
import { createLineTagger } from './line-tagger';
import { groupRunning, signalGroup } from './process-group';
import type { Outcome } from './outcome';

/** Seconds between SIGTERM and SIGKILL when a program has to be stopped. */
export const KILL_AFTER_MS = 5_000;
/** How long to wait for output pipes after the program exited (a background child may hold them). */
const OUTPUT_DRAIN_MS = 500;
/** How often a stopped program's process group is checked for members still running. */
const GROUP_POLL_MS = 50;

export interface SpawnRequest {
  readonly program: string;
  readonly args: readonly string[];
  readonly body: Buffer;
  readonly env: NodeJS.ProcessEnv;
  /** Prefix of every output line: the message id. */
  readonly tag: string;
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Aborting stops the program's whole process group: TERM, then KILL after KILL_AFTER_MS. */
  readonly signal: AbortSignal;
}

/**
 * Runs one program for one message: argv without a shell, the body on stdin (then closed),
 * output tagged line by line. Resolves once the program has ended; never rejects.
 */
export function spawnProgram(req: SpawnRequest): Promise<Outcome> {
  return new Promise((resolve) => {
    let settled = false;
    let killTimer: NodeJS.Timeout | undefined;
    let drainTimer: NodeJS.Timeout | undefined;
    let stopped = false;
    const finish = (outcome: Outcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(drainTimer);
      req.signal.removeEventListener('abort', stop);
      if (!stopped) {
        clearTimeout(killTimer);
        resolve(outcome);
        return;
      }
      // A stopped attempt ends when its whole group is gone: children that ignore TERM get the KILL.
      const poll = setInterval(() => {
        if (groupRunning(child.pid)) return;
        clearInterval(poll);
        clearTimeout(killTimer);
        resolve(outcome);
      }, GROUP_POLL_MS);
    };

    // detached: the program leads its own process group, so stopping it also stops its children.
    const child = spawn(req.program, [...req.args], { env: req.env, stdio: 'pipe', detached: true });
    const killGroup = (sig: NodeJS.Signals) => signalGroup(child.pid, sig);
    function stop() {
      stopped = true;
      killGroup('SIGTERM');
      killTimer = setTimeout(() => killGroup('SIGKILL'), KILL_AFTER_MS);
    }

    child.on('error', (err: NodeJS.ErrnoException) => {
      finish({ ok: false, reason: `cannot start ${req.program}: ${err.code ?? err.message}` });
    });
    let exit: Outcome | undefined;
    child.on('exit', (code, signal) => {
      exit = describeExit(code, signal);
      // The message's work ends with its program: background children left behind are stopped too.
      killGroup('SIGTERM');
      // Normally 'close' follows at once; a background child holding the pipes must not stall us.
      drainTimer = setTimeout(() => finish(exit!), OUTPUT_DRAIN_MS);
    });
    child.on('close', () => {
      if (exit) finish(exit);
    });

    if (req.signal.aborted) stop();
    else req.signal.addEventListener('abort', stop, { once: true });

    child.stdout.pipe(createLineTagger(req.tag, req.stdout));
    child.stderr.pipe(createLineTagger(req.tag, req.stderr));
    // A program may exit without reading its input; the broken pipe that follows is normal.
    child.stdin.on('error', () => undefined);
    child.stdin.end(req.body);
  });
}

function describeExit(code: number | null, signal: NodeJS.Signals | null): Outcome {
  if (code === 0) return { ok: true };
  if (signal) return { ok: false, reason: `killed by ${signal}`, signal };
  return { ok: false, reason: `exit code ${code}`, exitCode: code ?? undefined };
}
