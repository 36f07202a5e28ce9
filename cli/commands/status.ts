import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type * as amqp from 'amqplib';
import { managedQueue, managementApi, type ManagementApi } from '../../worker/broker/management-api';
import { UsageError } from '../../worker/command-line/errors';
import { isHealthy, isRunning } from '../../worker/broker/marathon-task-health';
import { DEFAULT_URL } from '../../worker/consumer/options';
import { deadLetterQueueName } from '../../worker/consumer/queue-names';
import { printable } from '../../worker/observability/printable';
import { brokerUrlsOption, openFirstBroker } from '../broker-url-option';
import { parseFlags, text, type FlagSpec } from '../../worker/command-line/flags';
import { MarathonClient } from '../../worker/marathon/marathon-client';
import { manifestQueues } from '../image-manifests';
import { marathonApps, type AppFile } from '../synth-output';

export const STATUS_HELP = `Usage: workqueue status [-q QUEUE]... [-u URL]... [--management URL] [--marathon URL]
                        [-o table|json]

Shows how far behind the workers are: for each queue its ready, unacked and dead-lettered
(QUEUE.dlq) message counts and its consumers, and for a quorum queue its leader and members (the
broker nodes holding a replica; "(offline)" after one that is not running); with Marathon
configured, the running and healthy tasks of each synthesized Marathon app (marathon target).
Without -q, the queues of the stack's worker fleets, from its synthesized manifests (any target).
Unacked counts, leaders and members come from RabbitMQ's management API with the broker URL's user
and password (default: https://<broker host>:15671 for amqps://, http://<broker host>:15672 for
amqp://); "-" when it cannot be reached, and for a queue that is not a quorum queue. The password
of an amqps:// URL is never sent over plain http to another machine.
With -o json, one JSON document for scripts:
  {"queues": [{"name", "exists", "ready", "unacked", "deadLettered", "consumers",
               "leader", "members", "online"}],
   "apps": [{"id", "queue", "tasks", "running", "healthy"}] or null without Marathon}
counts as numbers, leader a node name, members and online (the members running) lists of node
names; null where unknown (a missing queue, no management API, not a quorum queue, Marathon not
answering).

Options:
  -q, --queue NAME       a queue to show (repeatable through several -q)
  -u, --url URL          broker URL (default: $AMQP_URL, else ${DEFAULT_URL}); for a cluster,
                         several (repeat -u, or a comma-separated list, in $AMQP_URL too): the
                         first that answers is asked
      --management URL   RabbitMQ management API base URL
      --marathon URL     Marathon's URL (default: $MARATHON_URL)
  -o, --output FORMAT    table (default) or json
  -h, --help             show this help

Examples:
  workqueue status -q jobs
  MARATHON_URL=http://marathon.mesos:8080 workqueue status
  workqueue status -q jobs -o json | jq '.queues[0].ready'
  workqueue status -q jobs -o json | jq '.queues[0] | {leader, members, online}'
`;

const SPECS: FlagSpec[] = [
  { names: ['-q', '--queue'], key: 'queue', value: true },
  { names: ['-u', '--url'], key: 'url', value: true },
  { names: ['--management'], key: 'management', value: true },
  { names: ['--marathon'], key: 'marathon', value: true },
  { names: ['-o', '--output'], key: 'output', value: true },
];

/** One queue's counts; null where unknown (the queue missing, the management API not answering). */
interface QueueStatus {
  readonly name: string;
  readonly exists: boolean;
  readonly ready: number | null;
  readonly unacked: number | null;
  /** Messages in QUEUE.dlq; null when it does not exist. */
  readonly deadLettered: number | null;
  readonly consumers: number | null;
  /** The node of a quorum queue's leader; null when unknown or not a quorum queue. */
  readonly leader: string | null;
  /** The nodes holding a member (replica) of a quorum queue; null when unknown or not a quorum queue. */
  readonly members: readonly string[] | null;
  /** The members that are running; null when the management API does not say. */
  readonly online: readonly string[] | null;
}

/** One synthesized app's tasks in Marathon; null when Marathon did not list them. */
interface AppStatus {
  readonly id: string;
  readonly queue: string | null;
  readonly tasks: number | null;
  readonly running: number | null;
  readonly healthy: number | null;
}

/** What `status -o json` prints. */
interface StatusReport {
  readonly queues: readonly QueueStatus[];
  /** null when no Marathon is configured or no apps are synthesized. */
  readonly apps: readonly AppStatus[] | null;
}

export async function status(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { flags, values } = parseFlags('status', argv, SPECS);
  const output = text(flags, 'output') ?? 'table';
  if (output !== 'table' && output !== 'json') {
    throw new UsageError(`status: -o/--output must be table or json, not '${printable(output, 20)}'`);
  }
  const queuesGiven = values.queue ?? [];
  const stacks = join(process.cwd(), 'cdktf.out', 'stacks');
  const apps = existsSync(stacks) ? safeApps(stacks) : [];
  // The fleets' queues from the target-neutral manifests; a stack without them (written by hand, or by an
  // older version) from its Marathon apps' labels.
  const synthesized = existsSync(stacks) ? safeQueues(stacks) : [];
  const appQueues = synthesized.length ? synthesized : apps.flatMap((a) => (a.queue ? [a.queue] : []));
  const queues = queuesGiven.length ? queuesGiven : appQueues;
  if (queues.length === 0)
    throw new UsageError('status: name a queue with -q (no synthesized worker apps to take them from)');
  const urls = brokerUrlsOption('status', values, env);
  const management = text(flags, 'management');
  // Refuses a --management that cannot be used before connecting.
  managementApi('status: --management', management, urls[0]);
  const marathonUrl = text(flags, 'marathon') ?? env.MARATHON_URL;
  const client = marathonUrl ? new MarathonClient(marathonUrl, env.MARATHON_TOKEN) : undefined; // checks the URL first
  const report: StatusReport = {
    queues: await queueStatuses(urls, management, queues),
    apps: client && apps.length ? await Promise.all(apps.map((app) => appStatus(client, app))) : null,
  };
  process.stdout.write(output === 'json' ? `${JSON.stringify(report)}\n` : tables(report));
  return 0;
}

async function queueStatuses(
  urls: readonly string[],
  management: string | undefined,
  queues: readonly string[],
): Promise<QueueStatus[]> {
  const { connection, url } = await openFirstBroker('status', urls);
  // By default the management API of the node that answered.
  const api = managementApi('status: --management', management, url);
  connection.on('error', () => undefined); // a failed check below reports it
  try {
    const out: QueueStatus[] = [];
    for (const name of queues) {
      const main = await check(connection, name);
      const dead = await check(connection, deadLetterQueueName(name));
      const managed = main ? await managementQueue(api, url, name) : UNKNOWN;
      out.push({
        name,
        exists: main !== undefined,
        ready: main?.messageCount ?? null,
        unacked: managed.unacked,
        deadLettered: dead?.messageCount ?? null,
        consumers: main?.consumerCount ?? null,
        leader: managed.leader,
        members: managed.members,
        online: managed.online,
      });
    }
    return out;
  } finally {
    await connection.close().catch(() => undefined);
  }
}

async function appStatus(client: MarathonClient, app: AppFile): Promise<AppStatus> {
  const queue = app.queue ?? null;
  const listed = await client.appTasks(app.id).catch(() => undefined); // shown as unknown
  if (!listed) return { id: app.id, queue, tasks: null, running: null, healthy: null };
  const running = listed.tasks.filter(isRunning).length;
  const healthy = listed.tasks.filter((t) => isHealthy(t, listed.healthChecks)).length;
  return { id: app.id, queue, tasks: listed.tasks.length, running, healthy };
}

/** The report as the tables people read. */
function tables(report: StatusReport): string {
  const count = (n: number | null, unknown: string) => (n === null ? unknown : String(n));
  const queueRows = [['QUEUE', 'READY', 'UNACKED', 'DEAD-LETTERED', 'CONSUMERS', 'LEADER', 'MEMBERS']];
  for (const q of report.queues) {
    const dead = count(q.deadLettered, 'missing');
    const counts = [count(q.ready, 'missing'), count(q.unacked, '-'), dead, count(q.consumers, '-')];
    queueRows.push([q.name, ...counts, q.leader ?? '-', memberList(q)]);
  }
  if (!report.apps) return table(queueRows);
  const appRows = [['APP', 'TASKS', 'RUNNING', 'HEALTHY']];
  for (const a of report.apps) {
    appRows.push([a.id, count(a.tasks, 'unknown'), count(a.running, '-'), count(a.healthy, '-')]);
  }
  return `${table(queueRows)}\n${table(appRows)}`;
}

function safeApps(stacks: string) {
  try {
    const [stack] = readdirSync(stacks);
    return stack ? marathonApps(join(stacks, stack)) : [];
  } catch {
    return []; // no Marathon apps (another target, or nothing synthesized): no app rows
  }
}

function safeQueues(stacks: string): string[] {
  try {
    const [stack] = readdirSync(stacks);
    return stack ? manifestQueues(join(stacks, stack)) : [];
  } catch {
    return []; // nothing synthesized: status still shows the queues named with -q
  }
}

async function check(connection: amqp.ChannelModel, queue: string): Promise<amqp.Replies.AssertQueue | undefined> {
  const channel = await connection.createChannel();
  channel.on('error', () => undefined); // a missing queue closes the channel; shown as "missing"
  try {
    return await channel.checkQueue(queue);
  } catch {
    return undefined;
  } finally {
    await channel.close().catch(() => undefined);
  }
}

/** A quorum queue's members, "(offline)" after those the management API does not list as online; "-" unknown. */
function memberList(q: QueueStatus): string {
  if (!q.members || q.members.length === 0) return '-';
  return q.members.map((m) => (q.online && !q.online.includes(m) ? `${m}(offline)` : m)).join(',');
}

/** What the management API tells of a queue beyond AMQP's counts; null where it does not say. */
interface ManagedQueue {
  readonly unacked: number | null;
  readonly leader: string | null;
  readonly members: readonly string[] | null;
  readonly online: readonly string[] | null;
}

const UNKNOWN: ManagedQueue = { unacked: null, leader: null, members: null, online: null };

/** GET /api/queues/VHOST/NAME: the unacked count, and for a quorum queue `leader`, `members` and `online`. */
async function managementQueue(api: ManagementApi, amqpUrl: string, queue: string): Promise<ManagedQueue> {
  const body = await managedQueue(api, amqpUrl, queue);
  if (!body) return UNKNOWN; // management API not enabled or not reachable: the other counts still stand
  const names = (value: unknown) =>
    Array.isArray(value) && value.every((v) => typeof v === 'string') ? (value as string[]) : null;
  return {
    unacked: typeof body.messages_unacknowledged === 'number' ? body.messages_unacknowledged : null,
    leader: typeof body.leader === 'string' && body.leader !== '' ? body.leader : null,
    members: names(body.members),
    online: names(body.online),
  };
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return (
    rows
      .map((r) =>
        r
          .map((cell, c) => cell.padEnd(widths[c]))
          .join('  ')
          .trimEnd(),
      )
      .join('\n') + '\n'
  );
}
