import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { signalGroup } from './process-group';
import { OUTPUT_DRAIN_MS, describeExit, type Launcher } from './program-launcher';

/**
 * Starts programs with Node's own child_process.spawn: works everywhere, but forks the whole
 * Node process and blocks the event loop until the child has exec'd. `env` is what programs
 * start from (see program-env.ts); each request's variables go on top.
 */
export function nodeLauncher(env: NodeJS.ProcessEnv): Launcher {
  return (req, events) => {
    let done = false;
    let drainTimer: NodeJS.Timeout | undefined;
    let child: ChildProcessWithoutNullStreams;
    const end = (outcome: Parameters<typeof events.ended>[0]) => {
      if (done) return;
      done = true;
      clearTimeout(drainTimer);
      events.ended(outcome, child?.pid);
    };
    try {
      // detached: the program leads its own process group, so stopping it also stops its children.
      child = spawn(req.program, [...req.args], { env: { ...env, ...req.env }, stdio: 'pipe', detached: true });
    } catch (err) {
      // Node refuses some arguments before forking (a NUL byte in a variable): the attempt fails.
      // Its message may quote the hostile value, so only the code is kept.
      const code = (err as NodeJS.ErrnoException).code ?? 'invalid arguments';
      queueMicrotask(() => end({ ok: false, reason: `cannot start ${req.program}: ${code}` }));
      return { kill: () => undefined };
    }
    child.on('error', (err: NodeJS.ErrnoException) => {
      end({ ok: false, reason: `cannot start ${req.program}: ${err.code ?? err.message}` });
    });
    let exit: ReturnType<typeof describeExit> | undefined;
    // Pipes paused while the worker's own output is full: their wait is not the program's doing.
    let paused = 0;
    const armDrain = () => {
      clearTimeout(drainTimer);
      if (exit && paused === 0) drainTimer = setTimeout(() => end(exit!), OUTPUT_DRAIN_MS);
    };
    child.on('exit', (code, signal) => {
      exit = describeExit(code, signal);
      signalGroup(child.pid, 'SIGTERM'); // background children left behind end with their program
      armDrain();
    });
    child.on('close', () => {
      if (exit) end(exit);
    });
    for (const name of ['stdout', 'stderr'] as const) {
      const from = child[name];
      from.on('data', (chunk: Buffer) => {
        const full = events.output(name, chunk);
        if (!full) return;
        // Backpressure: a slow reader of the worker's output slows the program, memory stays bounded.
        from.pause();
        paused++;
        armDrain();
        void full.then(() => {
          paused--;
          from.resume();
          armDrain();
        });
      });
    }
    // A program may exit without reading its input; the broken pipe that follows is normal.
    child.stdin.on('error', () => undefined);
    child.stdin.end(req.body);
    return { kill: (signal) => signalGroup(child.pid, signal) };
  };
}
