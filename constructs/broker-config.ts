/** A queue the broker declares at boot, with its dead-letter queue and retry limit. */
export interface BrokerQueue {
  /** Queue name; `${name}.dlq` is declared beside it. */
  readonly name: string;
  /**
   * Attempts before a message goes to the dead-letter queue; the workers of this queue use the
   * same number as their --max-attempts, and on quorum queues the broker's delivery-limit
   * policy enforces it too when a worker dies mid-message. 0 retries forever.
   * @default 5
   */
  readonly maxAttempts?: number;
}

export type QueueType = 'quorum' | 'classic';

/** Where the broker image's entrypoint writes the boot definitions (queues + the user). */
export const DEFINITIONS_FILE = '/var/lib/rabbitmq/workqueue-definitions.json';

export interface BrokerConfigInput {
  readonly queues: readonly Required<BrokerQueue>[];
  readonly queueType: QueueType;
  readonly consumerTimeoutSeconds: number;
}

/** rabbitmq.conf additions: boot-time definitions import and the consumer timeout. */
export function rabbitmqConf(input: BrokerConfigInput): string {
  return [
    '# Written by the workqueue Broker construct.',
    'definitions.import_backend = local_filesystem',
    `definitions.local.path = ${DEFINITIONS_FILE}`,
    '# A delivery unacked for longer closes its channel; it must exceed the workers\' --timeout.',
    `consumer_timeout = ${Math.round(input.consumerTimeoutSeconds * 1000)}`,
    '# The guest account, if any, is refused over the network.',
    'loopback_users.guest = true',
    '',
  ].join('\n');
}

/**
 * RabbitMQ definitions with empty users and permissions, which the image's entrypoint fills in
 * from the container environment at start (so no credential is in the image): each
 * queue and its .dlq, durable, and one policy per queue that dead-letters to the .dlq and,
 * on quorum queues, caps deliveries at maxAttempts.
 */
export function definitions(input: BrokerConfigInput): Record<string, unknown> {
  const args = input.queueType === 'quorum' ? { 'x-queue-type': 'quorum' } : {};
  const queue = (name: string) => ({ name, vhost: '/', durable: true, auto_delete: false, arguments: args });
  return {
    users: [],
    permissions: [],
    vhosts: [{ name: '/' }],
    queues: input.queues.flatMap((q) => [queue(q.name), queue(`${q.name}.dlq`)]),
    policies: input.queues.map((q) => ({
      vhost: '/',
      name: `workqueue-${q.name}`,
      pattern: `^${escapeRegExp(q.name)}$`,
      'apply-to': 'queues',
      priority: 10,
      definition: {
        'dead-letter-exchange': '',
        'dead-letter-routing-key': `${q.name}.dlq`,
        ...(input.queueType === 'quorum' && q.maxAttempts > 0 ? { 'delivery-limit': q.maxAttempts } : {}),
      },
    })),
  };
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
