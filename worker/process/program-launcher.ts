import type { Outcome } from '../consumer/outcome';

/** What a launcher needs to start one program for one message. */
export interface LaunchRequest {
  readonly program: string;
  readonly args: readonly string[];
  readonly body: Buffer;
  /** Variables for this message (WQ_*), on top of the worker's own environment. */
  readonly env: Readonly<Record<string, string>>;
  /** Prefix of every line of the program's output: the message id. */
  readonly tag: string;
}

/** What a launcher reports about the program it started. */
export interface LaunchEvents {
  /**
   * Output to be tagged and copied (launchers that copy it themselves never call this). A promise
   * means the target is full: read no more of that stream until it resolves (backpressure).
   */
  output(stream: 'stdout' | 'stderr', chunk: Buffer): Promise<void> | undefined;
  /**
   * The program ended (or never started); called once, after its output. `pgid` is its process
   * group, which may still hold children that ignored a stop; undefined when the launcher knows the
   * group is gone.
   */
  ended(outcome: Outcome, pgid?: number): void;
}

/** A program started by a launcher. */
export interface Launched {
  /** Sends `signal` to the program's whole process group. */
  kill(signal: NodeJS.Signals): void;
}

/**
 * Starts a program in a process group of its own, writes the body to its stdin, and reports its
 * output and end. When the program exits, the rest of its group gets SIGTERM.
 */
export type Launcher = (req: LaunchRequest, events: LaunchEvents) => Launched;

/** How a program's exit status reads as an outcome. */
export function describeExit(code: number | null, signal: NodeJS.Signals | null): Outcome {
  if (code === 0) return { ok: true };
  if (signal) return { ok: false, reason: `killed by ${signal}`, signal };
  return { ok: false, reason: `exit code ${code}`, exitCode: code ?? undefined };
}

/** How long output pipes may stay open after the program exited (a background child may hold them). */
export const OUTPUT_DRAIN_MS = 500;
