import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as amqp from 'amqplib';
import { docker } from './plan-driver';

const run = promisify(execFile);
export const ROOT = join(__dirname, '..', '..', '..');

/** Synthesizes the default stack with the cdktf CLI, with settings from the environment; returns the stack dir. */
export function synthDefaultStack(settings: Record<string, string>): string {
  const out = mkdtempSync(join(tmpdir(), 'wq-e2e-synth-'));
  execFileSync('npx', ['cdktf', 'synth', '--output', out], {
    cwd: ROOT,
    env: { ...process.env, CHECKPOINT_DISABLE: '1', ...settings },
    stdio: 'pipe',
  });
  return join(out, 'stacks', 'workqueue');
}

/** Health of a container per Docker ('healthy', 'starting', 'unhealthy'), '' when it has none. */
export function health(container: string): string {
  return docker(['inspect', '-f', '{{if .State.Health}}{{.State.Health.Status}}{{end}}', container]);
}

/** Publishes `n` persistent messages "message <i>" with Debian's amqp-publish, 4 at a time. */
export async function publishWithAmqpTools(url: string, queue: string, n: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < n) {
      const i = next++;
      await run('amqp-publish', ['--url', url, '-r', queue, '-p', '-b', `message ${i}`]);
    }
  };
  await Promise.all([lane(), lane(), lane(), lane()]);
}

/** Publishes `n` persistent messages "message <i>" at once over one confirm channel: the queue holds them all. */
export async function publishAtOnce(url: string, queue: string, n: number): Promise<void> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createConfirmChannel();
    for (let i = 0; i < n; i++) channel.sendToQueue(queue, Buffer.from(`message ${i}`), { persistent: true });
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
}

/** How many files process-message has written (cheap enough to poll). */
export function filesWritten(dir: string): number {
  return readdirSync(dir).filter((f) => f.startsWith('message.')).length;
}

/** How many files process-message wrote, and how many distinct bodies they hold. */
export function processed(dir: string): { files: number; distinct: number } {
  const names = readdirSync(dir).filter((f) => f.startsWith('message.'));
  return { files: names.length, distinct: new Set(names.map((f) => readFileSync(join(dir, f), 'utf8'))).size };
}

/** Ready and unacked counts of a queue, through the broker's loopback port. */
export async function queueDepth(url: string, queue: string): Promise<number> {
  const connection = await amqp.connect(url);
  try {
    const channel = await connection.createChannel();
    return (await channel.checkQueue(queue)).messageCount;
  } finally {
    await connection.close();
  }
}

/** Bytes an image adds over another. */
export function imageSize(image: string): number {
  return Number(docker(['image', 'inspect', '-f', '{{.Size}}', image]));
}

/** Removes what an interrupted run left under the fixed names a test uses; each command may find nothing. */
export function removeLeftovers(commands: readonly (readonly string[])[]): void {
  for (const args of commands) {
    try {
      docker(args);
    } catch {
      // nothing left over
    }
  }
}
