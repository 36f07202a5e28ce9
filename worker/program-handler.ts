import type { MessageHandler } from './message-handler';
import { metaEnv } from './message-meta';
import { spawnProgram } from './spawn-program';

export interface ProgramHandlerOptions {
  readonly program: string;
  readonly args: readonly string[];
  readonly stdout?: NodeJS.WritableStream;
  readonly stderr?: NodeJS.WritableStream;
}

/** Spawn mode: one process per message, metadata in WQ_* variables, output tagged with the message id. */
export function programHandler(options: ProgramHandlerOptions): MessageHandler {
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  let unnamed = 0;
  return (body, meta, signal) =>
    spawnProgram({
      program: options.program,
      args: options.args,
      body,
      env: { ...process.env, ...metaEnv(meta) },
      tag: meta.messageId || `no-id-${++unnamed}`,
      stdout,
      stderr,
      signal,
    });
}
