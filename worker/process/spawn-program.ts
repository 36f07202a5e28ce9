import { createLineTagger, type LineTagger } from './line-tagger';
import type { Outcome } from '../consumer/outcome';
import { groupGone, groupRunning, signalGroup, stopInStages } from './process-group';
import type { LaunchRequest, Launcher } from './program-launcher';

/**
 * Milliseconds between SIGTERM and SIGKILL when a program has to be stopped, and when children a
 * program left behind ignore the TERM they got at its exit.
 */
export const KILL_AFTER_MS = 5_000;

export interface SpawnRequest extends LaunchRequest {
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
  /** Aborting stops the program's whole process group: TERM, then KILL after KILL_AFTER_MS. */
  readonly signal: AbortSignal;
}

/**
 * Runs one program for one message with `launch`: argv without a shell, the body on stdin,
 * output tagged line by line. Resolves once the program and its whole process group have ended:
 * children left behind get TERM when the program exits, KILL after KILL_AFTER_MS. Never rejects.
 */
export function spawnProgram(launch: Launcher, req: SpawnRequest): Promise<Outcome> {
  return new Promise((resolve) => {
    let pgid: number | undefined;
    let cancelStop: (() => void) | undefined;
    // Taggers are made on first output: most programs print nothing.
    const taggers: Partial<Record<'stdout' | 'stderr', LineTagger>> = {};
    const tagger = (stream: 'stdout' | 'stderr') => (taggers[stream] ??= createLineTagger(req.tag, req[stream]));

    const kill = (signal: NodeJS.Signals) => (pgid === undefined ? launched.kill(signal) : signalGroup(pgid, signal));
    function stop() {
      cancelStop = stopInStages(kill, KILL_AFTER_MS);
    }
    const ended = (outcome: Outcome, group?: number) => {
      pgid = group;
      req.signal.removeEventListener('abort', stop);
      taggers.stdout?.end();
      taggers.stderr?.end();
      if (!groupRunning(pgid)) {
        cancelStop?.();
        resolve(outcome);
        return;
      }
      // An attempt ends when its whole group is gone, so no process outlives its message. The
      // launcher sent TERM to what the program left behind (or the stop did, and its KILL stays due).
      void groupGone(pgid, KILL_AFTER_MS).then(() => {
        cancelStop?.();
        resolve(outcome);
      });
    };

    const launched = launch(req, { output: (stream, chunk) => tagger(stream).write(chunk), ended });
    if (req.signal.aborted) stop();
    else req.signal.addEventListener('abort', stop, { once: true });
  });
}
