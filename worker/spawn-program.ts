import { createLineTagger, type LineTagger } from './line-tagger';
import type { Outcome } from './outcome';
import { groupRunning, signalGroup } from './process-group';
import type { LaunchRequest, Launcher } from './program-launcher';

/** Milliseconds between SIGTERM and SIGKILL when a program has to be stopped. */
export const KILL_AFTER_MS = 5_000;
/** How often a stopped program's process group is checked for members still running. */
const GROUP_POLL_MS = 50;

export interface SpawnRequest extends LaunchRequest {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Aborting stops the program's whole process group: TERM, then KILL after KILL_AFTER_MS. */
  readonly signal: AbortSignal;
}

/**
 * Runs one program for one message with `launch`: argv without a shell, the body on stdin,
 * output tagged line by line. Resolves once the program has ended (after a stop: once its whole
 * process group has); never rejects.
 */
export function spawnProgram(launch: Launcher, req: SpawnRequest): Promise<Outcome> {
  return new Promise((resolve) => {
    let stopped = false;
    let pgid: number | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    // Taggers are made on first output: most programs print nothing.
    const taggers: Partial<Record<'stdout' | 'stderr', LineTagger>> = {};
    const tagger = (stream: 'stdout' | 'stderr') => (taggers[stream] ??= createLineTagger(req.tag, req[stream]));

    const kill = (signal: NodeJS.Signals) => (pgid === undefined ? launched.kill(signal) : signalGroup(pgid, signal));
    function stop() {
      stopped = true;
      kill('SIGTERM');
      killTimer = setTimeout(() => kill('SIGKILL'), KILL_AFTER_MS);
    }
    const ended = (outcome: Outcome, group?: number) => {
      pgid = group;
      req.signal.removeEventListener('abort', stop);
      taggers.stdout?.end();
      taggers.stderr?.end();
      if (!stopped) {
        resolve(outcome);
        return;
      }
      // A stopped attempt ends when its whole group is gone: children that ignore TERM get the KILL.
      const poll = setInterval(() => {
        if (groupRunning(pgid)) return;
        clearInterval(poll);
        clearTimeout(killTimer);
        resolve(outcome);
      }, GROUP_POLL_MS);
    };

    const launched = launch(req, { output: (stream, chunk) => tagger(stream).write(chunk), ended });
    if (req.signal.aborted) stop();
    else req.signal.addEventListener('abort', stop, { once: true });
  });
}
