import { spawn } from 'node:child_process';
import { join } from 'node:path';
import type { Exit } from './worker-process';

/** The bundled `workqueue` CLI (built by npm test's pretest step). */
export const CLI_BIN = join(__dirname, '..', '..', 'dist', 'workqueue.js');

/** Runs `workqueue ARGS` in `cwd`, with `input` on stdin. */
export function runCli(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; input?: string } = {},
): Promise<Exit> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI_BIN, ...args], {
      cwd: options.cwd,
      env: { ...process.env, AMQP_URL: undefined, MARATHON_URL: undefined, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.end(options.input ?? '');
  });
}
