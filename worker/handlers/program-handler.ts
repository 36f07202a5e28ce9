import type { MessageHandler } from './message-handler';
import { metaEnv } from '../consumer/message-meta';
import { printable } from '../observability/printable';
import { findSpawnHelper, helperLauncher } from '../process/helper-launcher';
import { nodeLauncher } from '../process/node-launcher';
import { programEnv } from '../process/program-env';
import { spawnProgram } from '../process/spawn-program';

/** Longest message id shown in an output line's tag. */
const TAG_MAX = 64;

export interface ProgramHandlerOptions {
  readonly program: string;
  readonly args: readonly string[];
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream;
  /**
   * The wq-spawn helper that starts programs; '' for Node's own spawn.
   * @default findSpawnHelper(), when stdout and stderr are this process's own
   */
  readonly spawnHelper?: string;
  /** The worker's credentials programs see all the same (see program-env.ts). @default [] */
  readonly passEnv?: readonly string[];
}

/**
 * Spawn mode: one process per message, metadata in WQ_* variables, output tagged with the message
 * id. Programs are started by the wq-spawn helper when there is one (see helper-launcher.ts).
 */
export function programHandler(options: ProgramHandlerOptions): MessageHandler {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  let unnamed = 0;
  // The helper copies output to this process's own stdout and stderr, so other streams need Node's spawn.
  const ownStreams = stdout === process.stdout && stderr === process.stderr;
  const helper = !ownStreams
    ? undefined
    : options.spawnHelper === undefined
      ? findSpawnHelper()
      : options.spawnHelper || undefined;
  const base = programEnv(options.passEnv ?? []);
  const launch = helper ? helperLauncher(helper, options.program, options.args, base) : nodeLauncher(base);
  return (body, meta, signal) => {
    const env = metaEnv(meta);
    // Retrying cannot help: the message itself cannot be given to a program.
    if (!env.ok) return Promise.resolve({ ok: false, reason: env.reason, retry: false });
    return spawnProgram(launch, {
      program: options.program,
      args: options.args,
      body,
      env: env.env,
      tag: meta.messageId ? printable(meta.messageId, TAG_MAX) : `no-id-${++unnamed}`,
      stdout,
      stderr,
      signal,
    });
  };
}
