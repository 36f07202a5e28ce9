import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type * as amqp from 'amqplib';
import { openBrokerConnection } from '../../worker/broker-connection';
import { splitBrokerUrl, type BrokerLogin } from '../../worker/broker-login';
import { UsageError } from '../../worker/errors';
import { isHealthy, isRunning } from '../../worker/marathon-task-health';
import { DEFAULT_URL } from '../../worker/options';
import { parseFlags, text, type FlagSpec } from '../flags';
import { MarathonClient } from '../marathon-client';
import { marathonApps } from '../synth-output';

export const STATUS_HELP = `Usage: workqueue status [-q QUEUE]... [-u URL] [--management URL] [--marathon URL]

Shows how far behind the workers are: for each queue its ready, unacked and dead-lettered
(QUEUE.dlq) message counts and its consumers; with Marathon configured, the running and healthy
tasks of each synthesized app. Without -q, the queues of the synthesized worker apps.
Unacked counts come from RabbitMQ's management API with the broker URL's user and password (default:
https://<broker host>:15671 for amqps://, http://<broker host>:15672 for amqp://); "-" when it cannot
be reached. The password of an amqps:// URL is never sent over plain http to another machine.

Options:
  -q, --queue NAME       a queue to show (repeatable through several -q)
  -u, --url URL          broker URL (default: $AMQP_URL, else ${DEFAULT_URL})
      --management URL   RabbitMQ management API base URL
      --marathon URL     Marathon's URL (default: $MARATHON_URL)
  -h, --help             show this help

Examples:
  workqueue status -q jobs
  MARATHON_URL=http://marathon.mesos:8080 workqueue status
`;

const SPECS: FlagSpec[] = [
  { names: ['-q', '--queue'], key: 'queue', value: true },
  { names: ['-u', '--url'], key: 'url', value: true },
  { names: ['--management'], key: 'management', value: true },
  { names: ['--marathon'], key: 'marathon', value: true },
];

export async function status(argv: readonly string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { flags, values } = parseFlags('status', argv, SPECS);
  const queuesGiven = values.queue ?? [];
  const stacks = join(process.cwd(), 'cdktf.out', 'stacks');
  const apps = existsSync(stacks) ? safeApps(stacks) : [];
  const queues = queuesGiven.length ? queuesGiven : apps.map((a) => (a.definition.labels as Record<string, string> | undefined)?.['workqueue.queue']).filter((q): q is string => !!q);
  if (queues.length === 0) throw new UsageError('status: name a queue with -q (no synthesized worker apps to take them from)');
  const url = text(flags, 'url') ?? env.AMQP_URL ?? DEFAULT_URL;
  const rows: string[][] = [['QUEUE', 'READY', 'UNACKED', 'DEAD-LETTERED', 'CONSUMERS']];
  const api = managementApi(text(flags, 'management'), url);
  const connection = await openBrokerConnection(url);
  connection.on('error', () => undefined); // a failed check below reports it
  try {
    for (const queue of queues) {
      const main = await check(connection, queue);
      const dead = await check(connection, `${queue}.dlq`);
      const unacked = await unackedCount(api, url, queue);
      rows.push([queue, main ? String(main.messageCount) : 'missing', unacked, dead ? String(dead.messageCount) : 'missing', main ? String(main.consumerCount) : '-']);
    }
  } finally {
    await connection.close().catch(() => undefined);
  }
  process.stdout.write(table(rows));
  const marathonUrl = text(flags, 'marathon') ?? env.MARATHON_URL;
  if (marathonUrl && apps.length) {
    const client = new MarathonClient(marathonUrl, env.MARATHON_TOKEN);
    const appRows = [['APP', 'TASKS', 'RUNNING', 'HEALTHY']];
    for (const app of apps) {
      const listed = await client.appTasks(app.id).catch(() => undefined);
      const tasks = listed?.tasks ?? [];
      const healthy = tasks.filter((t) => isHealthy(t, listed?.healthChecks ?? 0));
      const running = tasks.filter(isRunning);
      appRows.push([app.id, listed ? String(tasks.length) : 'unknown', String(running.length), String(healthy.length)]);
    }
    process.stdout.write(`\n${table(appRows)}`);
  }
  return 0;
}

function safeApps(stacks: string) {
  try {
    const [stack] = readdirSync(stacks);
    return stack ? marathonApps(join(stacks, stack)) : [];
  } catch {
    return []; // no synthesized apps: status still shows the queues named with -q
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

async function unackedCount({ base, login }: ManagementApi, amqpUrl: string, queue: string): Promise<string> {
  const broker = new URL(amqpUrl);
  const vhost = encodeURIComponent(decodeURIComponent(broker.pathname.slice(1)) || '/');
  try {
    const response = await fetch(`${base.origin}/api/queues/${vhost}/${encodeURIComponent(queue)}`, {
      headers: { authorization: `Basic ${Buffer.from(`${login.user}:${login.password}`).toString('base64')}` },
      signal: AbortSignal.timeout(3_000),
    });
    if (!response.ok) return '-';
    const body = (await response.json()) as { messages_unacknowledged?: number };
    return body.messages_unacknowledged === undefined ? '-' : String(body.messages_unacknowledged);
  } catch {
    return '-'; // management API not enabled or not reachable: the other counts still stand
  }
}

/**
 * Where the management API is and who to log in as: --management (and its user, if it names one),
 * else the broker's host, over https on 15671 for amqps:// and http on 15672 for amqp://, with the
 * broker URL's login. Credentials of an amqps:// URL, which the user chose to encrypt, never go over
 * plain http to another machine.
 */
function managementApi(management: string | undefined, amqpUrl: string): ManagementApi {
  const brokerLogin = splitBrokerUrl(amqpUrl).login; // also refuses a broker URL that cannot be used
  const broker = new URL(amqpUrl);
  const tls = broker.protocol === 'amqps:';
  let base: URL;
  try {
    base = new URL(management ?? (tls ? `https://${broker.hostname}:15671` : `http://${broker.hostname}:15672`));
  } catch {
    throw new UsageError('status: --management is not a valid URL: give http[s]://host[:port]');
  }
  if (base.protocol !== 'http:' && base.protocol !== 'https:') {
    throw new UsageError(`status: --management must be an http:// or https:// URL, not ${base.protocol}//`);
  }
  const own = base.username !== '' || base.password !== '';
  if (!own && tls && base.protocol === 'http:' && !LOOPBACK.test(base.hostname)) {
    const where = `${base.protocol}//${base.host}`;
    throw new UsageError(`status: --management ${where} would send the amqps:// broker's password in clear: `
      + 'give an https:// management URL (or a user of its own in the --management URL)');
  }
  return { base, login: own ? splitBrokerUrl(base.toString()).login : brokerLogin };
}

interface ManagementApi {
  readonly base: URL;
  readonly login: BrokerLogin;
}

/** Hosts that never leave this machine. */
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

function table(rows: string[][]): string {
  const widths = rows[0].map((_, c) => Math.max(...rows.map((r) => r[c].length)));
  return rows.map((r) => r.map((cell, c) => cell.padEnd(widths[c])).join('  ').trimEnd()).join('\n') + '\n';
}
