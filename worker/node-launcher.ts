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
    child.on('exit', (code, signal) => {
      exit = describeExit(code, signal);
      signalGroup(child.pid, 'SIGTERM'); // background children left behind end with their program
      drainTimer = setTimeout(() => end(exit!), OUTPUT_DRAIN_MS);
    });
    child.on('close', () => {
      if (exit) end(exit);
    });
    child.stdout.on('data', (chunk: Buffer) => events.output('stdout', chunk));
    child.stderr.on('data', (chunk: Buffer) => events.output('stderr', chunk));
    // A program may exit without reading its input; the broken pipe that follows is normal.
    child.stdin.on('error', () => undefined);
    child.stdin.end(req.body);
    return { kill: (signal) => signalGroup(child.pid, signal) };
  };
}
