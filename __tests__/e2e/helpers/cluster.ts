import { execFile, spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import * as amqp from 'amqplib';
import { docker } from './plan-driver';

/** One member of a quorum queue as `rabbitmq-queues quorum_status --formatter json` lists it. */
export interface QuorumMember {
  readonly node: string;
  /** leader, follower; anything else (noproc, timeout...) is a member that is not serving. */
  readonly state: string;
  readonly membership: string;
}

const run = promisify(execFile);

/**
 * Runs a RabbitMQ CLI tool in a broker container. Asynchronous: a CLI tool takes a second or two (an Erlang VM
 * starts), during which the test's own timers must keep running; a node that is down must not hang the test.
 */
export async function brokerCli(container: string, args: readonly string[], timeoutMs = 60_000): Promise<string> {
  const { stdout } = await run('docker', ['exec', container, ...args], { timeout: timeoutMs, maxBuffer: 1 << 24 });
  return stdout.trim();
}

/** JSON printed by a CLI tool with --formatter json, after any banner line. */
function cliJson<T>(text: string): T {
  const start = text.search(/^[[{]/m);
  if (start < 0) throw new Error(`no JSON in the CLI's output: ${text.slice(0, 200)}`);
  return JSON.parse(text.slice(start)) as T;
}

/** The members of a quorum queue, asked of the node in `container`. */
export async function quorumMembers(container: string, queue: string): Promise<QuorumMember[]> {
  const rows = cliJson<Record<string, unknown>[]>(
    await brokerCli(container, ['rabbitmq-queues', 'quorum_status', queue, '--formatter', 'json']),
  );
  return rows.map((r) => ({
    node: String(r['Node Name']),
    state: String(r['Raft State']),
    membership: String(r['Membership'] ?? 'voter'),
  }));
}

/**
 * The node leading a quorum queue as the node in `container` records it (its metadata store: about a second a
 * call, where quorum_status waits several seconds on a member that is down).
 */
export async function queueLeader(container: string, queue: string): Promise<string | undefined> {
  const rows = cliJson<{ name: string; leader: string }[]>(
    await brokerCli(container, ['rabbitmqctl', 'list_queues', 'name', 'leader', '--formatter', 'json']),
  );
  return rows.find((r) => r.name === queue)?.leader || undefined;
}

/** True when the queue has exactly `nodes` as voting members, each leading or following (none down). */
export async function allMembersServing(container: string, queue: string, nodes: readonly string[]): Promise<boolean> {
  try {
    const members = await quorumMembers(container, queue);
    return (
      members.length === nodes.length &&
      nodes.every((n) => members.some((m) => m.node === n)) &&
      members.every((m) => ['leader', 'follower'].includes(m.state) && m.membership === 'voter') &&
      members.filter((m) => m.state === 'leader').length === 1
    );
  } catch {
    return false; // the node asked is still starting
  }
}

/** A line per member: "rabbit@broker-0 leader voter, ...". */
export function describeMembers(members: readonly QuorumMember[]): string {
  return members.map((m) => `${m.node} ${m.state}${m.membership === 'voter' ? '' : ` (${m.membership})`}`).join(', ');
}

/** AMQP connections of `user` anywhere in the cluster, as client and server address ("a:port -> b:port"). */
export async function connectionsOf(container: string, user: string): Promise<{ client: string; server: string }[]> {
  const rows = cliJson<{ user: string; name: string }[]>(
    await brokerCli(container, ['rabbitmqctl', 'list_connections', 'user', 'name', '--formatter', 'json']),
  );
  return rows
    .filter((r) => r.user === user)
    .map((r) => /^(.*):\d+ -> (.*):\d+$/.exec(r.name))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({ client: m[1], server: m[2] }));
}

/** The addresses of a container on its networks. */
export function addressesOf(container: string): string[] {
  return docker(['inspect', '-f', '{{range .NetworkSettings.Networks}}{{.IPAddress}} {{end}}', container])
    .split(' ')
    .filter(Boolean);
}

/**
 * Publishes `n` persistent messages "message <i>" through the first reachable URL, with publisher confirms: a
 * confirmed message of a quorum queue is on a majority of its members, so it is the test's to find later.
 */
export async function publishConfirmed(urls: readonly string[], queue: string, n: number): Promise<void> {
  const connection = await connectAny(urls);
  try {
    const channel = await connection.createConfirmChannel();
    for (let i = 0; i < n; i++) {
      if (!channel.sendToQueue(queue, Buffer.from(`message ${i}`), { persistent: true }))
        await new Promise((resolve) => channel.once('drain', resolve));
      if (i % 500 === 499) await channel.waitForConfirms();
    }
    await channel.waitForConfirms();
  } finally {
    await connection.close();
  }
}

/** Every body left in a queue, taken off it (the test's last look at a dead-letter queue). */
export async function takeAll(urls: readonly string[], queue: string): Promise<string[]> {
  const connection = await connectAny(urls);
  try {
    const channel = await connection.createChannel();
    const bodies: string[] = [];
    for (let m = await channel.get(queue, { noAck: true }); m; m = await channel.get(queue, { noAck: true }))
      bodies.push(m.content.toString());
    return bodies;
  } finally {
    await connection.close();
  }
}

/** Ready messages of a queue, through the first reachable URL. */
export async function readyCount(urls: readonly string[], queue: string): Promise<number> {
  const connection = await connectAny(urls);
  try {
    return (await (await connection.createChannel()).checkQueue(queue)).messageCount;
  } finally {
    await connection.close();
  }
}

async function connectAny(urls: readonly string[]): Promise<amqp.ChannelModel> {
  let last: unknown;
  for (const url of urls) {
    try {
      return await amqp.connect(url, { timeout: 5000 });
    } catch (err) {
      last = err;
    }
  }
  throw last instanceof Error ? last : new Error('no broker node reachable');
}

/** Bodies of the files process-message wrote: one entry per file, duplicates included. */
export function processedBodies(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('message.'))
    .map((f) => readFileSync(join(dir, f), 'utf8'));
}

/** When each file process-message wrote was completed (its modification time, ms since the epoch), in order. */
export function processedTimes(dir: string): number[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith('message.'))
    .map((f) => statSync(join(dir, f)).mtimeMs)
    .sort((a, b) => a - b);
}

/**
 * How processing went on after `since` (an event such as the loss of a node), in seconds from it: the first
 * message processed after it, and the longest pause between two processed messages from `since` on, with the
 * time it ended (processing resumed). Undefined when nothing was processed after `since`.
 */
export function pauseAfter(
  times: readonly number[],
  since: number,
): { first: number; longest: number; resumed: number } | undefined {
  const later = times.filter((t) => t > since);
  if (later.length === 0) return undefined;
  let previous = since;
  let longest = 0;
  let resumed = later[0];
  for (const t of later) {
    if (t - previous > longest) [longest, resumed] = [t - previous, t];
    previous = t;
  }
  return { first: (later[0] - since) / 1000, longest: longest / 1000, resumed: (resumed - since) / 1000 };
}

/**
 * Seconds from `since` to each line of a container's log that matches `pattern` (docker logs -t), e.g. the
 * worker's "reconnected" after its node was lost.
 */
export function logTimesAfter(container: string, since: number, pattern: RegExp): number[] {
  // The worker logs to stdout and stderr; docker logs keeps them apart.
  const run = spawnSync('docker', ['logs', '-t', '--since', new Date(since).toISOString(), container], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return `${run.stdout}\n${run.stderr}`
    .split('\n')
    .filter((line) => pattern.test(line))
    .map((line) => (Date.parse(line.slice(0, line.indexOf(' '))) - since) / 1000);
}
