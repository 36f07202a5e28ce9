import { PrivateBroker, answers } from './private-broker';

/** Port of the private node started when no broker with a management API answers at $AMQP_URL. */
const PRIVATE_PORT = 5690;
const DEFAULT_URL = 'amqp://guest:guest@127.0.0.1:5672';

/**
 * Finds the broker the tests talk to: $AMQP_URL (or the local default) when it answers and so does
 * its management API (quorum-queue tests set the Broker construct's policy through it), else a
 * private rabbitmq-server node with the management plugin, else a clear failure. Tests read it from
 * WQ_TEST_AMQP_URL and WQ_TEST_MANAGEMENT_URL.
 */
export default async function globalSetup(): Promise<void> {
  const url = process.env.AMQP_URL ?? DEFAULT_URL;
  const management = process.env.WQ_TEST_MANAGEMENT_URL ?? managementOf(url);
  const brokerAnswers = await answers(url);
  if (brokerAnswers && (await managementAnswers(management))) {
    process.env.WQ_TEST_AMQP_URL = url;
    process.env.WQ_TEST_MANAGEMENT_URL = management;
    return;
  }
  if (!PrivateBroker.installed()) {
    throw new Error(
      `no RabbitMQ broker with its management API answers at ${url.replace(/:[^:@/]*@/, ':***@')} ` +
        'and rabbitmq-server is not installed: install and start one (apt-get install rabbitmq-server && ' +
        'rabbitmq-plugins enable rabbitmq_management && rabbitmq-server -detached) ' +
        'or set AMQP_URL and WQ_TEST_MANAGEMENT_URL',
    );
  }
  if (brokerAnswers) {
    process.stderr.write(
      `tests: the broker at ${new URL(url).host} has no management API at ${new URL(management).host} ` +
        '(rabbitmq-plugins enable rabbitmq_management); starting a private node with it instead\n',
    );
  }
  const broker = new PrivateBroker(PRIVATE_PORT, undefined, '', { management: true });
  await broker.start();
  await waitForManagement(broker.managementUrl);
  (globalThis as { wqPrivateBroker?: PrivateBroker }).wqPrivateBroker = broker;
  process.env.WQ_TEST_AMQP_URL = broker.url;
  process.env.WQ_TEST_MANAGEMENT_URL = broker.managementUrl;
}

/** The management API on the broker's host, port 15672, with the URL's credentials. */
function managementOf(url: string): string {
  const u = new URL(url);
  return `http://${u.username || 'guest'}:${u.password || 'guest'}@${u.hostname}:15672`;
}

async function managementAnswers(base: string): Promise<boolean> {
  const u = new URL(base);
  const auth = Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64');
  try {
    const response = await fetch(`${u.protocol}//${u.host}/api/overview`, {
      headers: { authorization: `Basic ${auth}` },
      signal: AbortSignal.timeout(3_000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

/** The plugin starts after AMQP answers: wait for it too. */
async function waitForManagement(base: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (!(await managementAnswers(base))) {
    if (Date.now() > deadline)
      throw new Error(`the private node's management API did not answer at ${new URL(base).host}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}
