import { BROKER_DELIVERY_LIMIT } from '../worker/consumer/delivery-limit';
import { deadLetterQueueName, retryQueueName } from '../worker/consumer/queue-names';
import { retryLadder, retryQueueArguments } from '../worker/consumer/retry-delays';

/** A queue the broker declares at boot, with its dead-letter queue and retry limit. */
export interface BrokerQueue {
  /** Queue name; `${name}.dlq` is declared beside it. */
  readonly name: string;
  /**
   * Attempts before a message goes to the dead-letter queue; the workers of this queue use the
   * same number as their --max-attempts and count the attempts themselves. 0 retries forever.
   * @default 5
   */
  readonly maxAttempts?: number;
  /**
   * Seconds a failed message waits before its first retry (its workers' --retry-delay): the broker declares
   * one delay queue `${name}.retry.<ms>` per distinct delay (at most 32), of the queue's type, which hands
   * messages back to the queue when due. 0 retries at once, at the tail of the queue.
   * @default 0
   */
  readonly retryDelaySeconds?: number;
  /** Factor between consecutive retry delays (--retry-backoff), at least 1. @default 2 */
  readonly retryBackoff?: number;
  /** Longest retry delay in seconds (--max-retry-delay). @default 3600 */
  readonly maxRetryDelaySeconds?: number;
}

/** The delay queues of a declared queue, shortest delay first, with their delays in ms. */
export function delayQueues(q: Required<BrokerQueue>): { name: string; delayMs: number }[] {
  return retryLadder(q, q.maxAttempts).map((delayMs) => ({ name: retryQueueName(q.name, delayMs), delayMs }));
}

export type QueueType = 'quorum' | 'classic';

/** Where the broker image's entrypoint writes the boot definitions (queues + the users). */
export const DEFINITIONS_FILE = '/var/lib/rabbitmq/workqueue-definitions.json';

export interface BrokerConfigInput {
  readonly queues: readonly Required<BrokerQueue>[];
  readonly queueType: QueueType;
  readonly consumerTimeoutSeconds: number;
  /**
   * The RabbitMQ node names of a cluster (rabbit@broker-0, ...), every node of it; empty or one
   * for a single node, which gets no cluster settings.
   */
  readonly clusterNodes?: readonly string[];
}

/**
 * rabbitmq.conf additions: boot-time definitions import and the consumer timeout; for a cluster, peer
 * discovery from the fixed list of node names and the quorum queues' growth onto nodes that join later.
 */
export function rabbitmqConf(input: BrokerConfigInput): string {
  const nodes = input.clusterNodes ?? [];
  return [
    '# Written by the workqueue Broker construct.',
    'definitions.import_backend = local_filesystem',
    `definitions.local.path = ${DEFINITIONS_FILE}`,
    "# A delivery unacked for longer closes its channel; it must exceed the workers' --timeout.",
    `consumer_timeout = ${Math.round(input.consumerTimeoutSeconds * 1000)}`,
    '# The guest account, if any, is refused over the network.',
    'loopback_users.guest = true',
    ...(nodes.length > 1 ? clusterConf(nodes) : []),
    '',
  ].join('\n');
}

/** The cluster part of rabbitmq.conf: every node knows every other by name, no manual join. */
function clusterConf(nodes: readonly string[]): string[] {
  return [
    '# A cluster of fixed node names: each node finds the others in this list (classic_config).',
    'cluster_formation.peer_discovery_backend = classic_config',
    ...nodes.map((node, i) => `cluster_formation.classic_config.nodes.${i + 1} = ${node}`),
    '# The first node imports the definitions before the others have joined, and its quorum queues start',
    '# with fewer members than nodes: reconciliation (RabbitMQ 3.13+) adds a member on each node that joins.',
    'quorum_queue.continuous_membership_reconciliation.enabled = true',
    `quorum_queue.continuous_membership_reconciliation.target_group_size = ${nodes.length}`,
  ];
}

/**
 * Stand-ins in definitions.json that the image's entrypoint replaces at start with values from
 * the container environment (names checked there, passwords only as salted hashes), so no
 * credential is in the image.
 */
export const DEFINITION_PLACEHOLDERS = {
  adminUser: '@WQ_BROKER_USER@',
  adminHash: '@WQ_BROKER_PASSWORD_HASH@',
  workerUser: '@WQ_WORKER_USER@',
  workerHash: '@WQ_WORKER_PASSWORD_HASH@',
} as const;

/** configure/write/read regular expressions of one RabbitMQ user on the vhost. */
export interface BrokerPermissions {
  readonly configure: string;
  readonly write: string;
  readonly read: string;
}

/**
 * What workers may do, and nothing more: declare (configure), consume and purge (read) the
 * declared queues, their .dlq and delay queues, and publish retry and dead-letter copies through the default
 * exchange, whose permission RabbitMQ checks as write on 'amq.default' (not on the queue).
 * RabbitMQ cannot narrow that write to some routing keys, so the default exchange lets the
 * worker user publish into any queue of the vhost (and none outside it); it cannot read,
 * declare, delete or purge any queue but its own.
 */
export function workerPermissions(queues: readonly Required<BrokerQueue>[]): BrokerPermissions {
  const own = `^(${queues
    .flatMap((q) => [q.name, deadLetterQueueName(q.name), ...delayQueues(q).map((d) => d.name)])
    .map(escapeRegExp)
    .join('|')})$`;
  return { configure: own, write: '^amq\\.default$', read: own };
}

/**
 * RabbitMQ definitions: the administrator (for operators) and the worker user, with
 * placeholders the image's entrypoint fills in; each queue, its .dlq and its delay queues, durable (in a cluster with
 * x-quorum-initial-group-size = the node count, so a client that redeclares them must pass it too, or
 * declare passively as workqueue-worker does); one policy per queue (queuePolicy).
 */
export function definitions(input: BrokerConfigInput): Record<string, unknown> {
  const size = input.clusterNodes?.length ?? 0;
  // A cluster asks for a member on every node; a single node keeps the arguments it always had.
  const args =
    input.queueType !== 'quorum'
      ? {}
      : size > 1
        ? { 'x-queue-type': 'quorum', 'x-quorum-initial-group-size': size }
        : { 'x-queue-type': 'quorum' };
  const queue = (name: string) => ({ name, vhost: '/', durable: true, auto_delete: false, arguments: args });
  const P = DEFINITION_PLACEHOLDERS;
  const user = (name: string, hash: string, tags: string[]) => ({
    name,
    password_hash: hash,
    hashing_algorithm: 'rabbit_password_hashing_sha256',
    tags,
  });
  return {
    users: [user(P.adminUser, P.adminHash, ['administrator']), user(P.workerUser, P.workerHash, [])],
    permissions: [
      { user: P.adminUser, vhost: '/', configure: '.*', write: '.*', read: '.*' },
      { user: P.workerUser, vhost: '/', ...workerPermissions(input.queues) },
    ],
    vhosts: [{ name: '/' }],
    queues: input.queues.flatMap((q) => [
      queue(q.name),
      queue(deadLetterQueueName(q.name)),
      // Delay queues in the queue's type; on quorum queues with at-least-once dead-lettering back to the queue.
      ...delayQueues(q).map((d) => ({
        ...queue(d.name),
        arguments: retryQueueArguments(q.name, d.delayMs, input.queueType === 'quorum', size),
      })),
    ]),
    policies: input.queues.map((q) => queuePolicy(q.name, input.queueType)),
  };
}

/**
 * The policy of one queue: dead-letters to its .dlq and, on quorum queues, sets the broker's
 * delivery-limit, a safety net for a message whose worker keeps dying with it. The workers count
 * failed attempts themselves (maxAttempts) and keep returns on purpose below this limit
 * (worker/consumer/delivery-limit.ts), so it does not depend on maxAttempts.
 */
export function queuePolicy(queue: string, queueType: QueueType): RabbitPolicy {
  return {
    vhost: '/',
    name: `workqueue-${queue}`,
    pattern: `^${escapeRegExp(queue)}$`,
    'apply-to': 'queues',
    priority: 10,
    definition: {
      'dead-letter-exchange': '',
      'dead-letter-routing-key': deadLetterQueueName(queue),
      ...(queueType === 'quorum' ? { 'delivery-limit': BROKER_DELIVERY_LIMIT } : {}),
    },
  };
}

/** A policy as RabbitMQ's definitions (and management API) spell it. */
export interface RabbitPolicy {
  readonly vhost: string;
  readonly name: string;
  readonly pattern: string;
  readonly 'apply-to': 'queues';
  readonly priority: number;
  readonly definition: Readonly<Record<string, string | number>>;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
