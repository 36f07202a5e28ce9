import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** The bundled CLI, as users run it (built by `npm test`'s pretest step). */
export const WORKER_BIN = join(__dirname, '..', '..', 'dist', 'workqueue-worker.js');

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** A running workqueue-worker with its output collected. */
export class WorkerProcess {
  readonly child: ChildProcess;
  stdout = '';
  stderr = '';
  readonly exited: Promise<Exit>;

  constructor(args: readonly string[], env: NodeJS.ProcessEnv = {}) {
    this.child = this.start(args, env);
    this.child.stdout!.on('data', (d: Buffer) => (this.stdout += d.toString()));
    this.child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) =>
      this.child.on('close', (code, signal) => resolve({ code, signal, stdout: this.stdout, stderr: this.stderr })),
    );
  }

  /** Starts the process; a subclass starts another bundle (the autoscaler) with the same collection and waits. */
  protected start(args: readonly string[], env: NodeJS.ProcessEnv): ChildProcess {
    // Through its #! line, as users run it: that line carries the runtime's Node.js flags.
    return spawn(WORKER_BIN, [...args], { env: { ...process.env, AMQP_URL: undefined, ...env } });
  }

  /** Resolves once the worker printed a line matching `pattern` on stderr (or stdout). */
  async waitForLog(pattern: RegExp, timeoutMs = 30_000, stream: 'stderr' | 'stdout' = 'stderr'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pattern.test(this[stream])) {
      if (Date.now() > deadline) throw new Error(`worker never logged ${pattern}; stderr:\n${this.stderr}`);
      if (this.child.exitCode !== null)
        throw new Error(`worker exited (${this.child.exitCode}) before logging ${pattern}; stderr:\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  /** Waits for exit, killing the worker if it takes longer than `timeoutMs`. */
  async finish(timeoutMs = 60_000): Promise<Exit> {
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Runs the worker to completion. */
export function runWorker(args: readonly string[], env?: NodeJS.ProcessEnv, timeoutMs?: number): Promise<Exit> {
  return new WorkerProcess(args, env).finish(timeoutMs);
}
