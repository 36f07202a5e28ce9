import { PrivateBroker, answers } from './private-broker';

/** Port of the private node started when no broker answers at $AMQP_URL. */
const PRIVATE_PORT = 5690;
const DEFAULT_URL = 'amqp://guest:guest@127.0.0.1:5672';

/**
 * Finds the broker the tests talk to: $AMQP_URL (or the local default) when it answers,
 * else a private rabbitmq-server node, else a clear failure. Tests read it from WQ_TEST_AMQP_URL.
 */
export default async function globalSetup(): Promise<void> {
  const url = process.env.AMQP_URL ?? DEFAULT_URL;
  if (await answers(url)) {
    process.env.WQ_TEST_AMQP_URL = url;
    return;
  }
  if (!PrivateBroker.installed()) {
    throw new Error(
      `no RabbitMQ broker answers at ${url.replace(/:[^:@/]*@/, ':***@')} and rabbitmq-server is not installed: ` +
        'start one (apt-get install rabbitmq-server && rabbitmq-server -detached) or set AMQP_URL',
    );
  }
  const broker = new PrivateBroker(PRIVATE_PORT);
  await broker.start();
  (globalThis as { wqPrivateBroker?: PrivateBroker }).wqPrivateBroker = broker;
  process.env.WQ_TEST_AMQP_URL = broker.url;
}
