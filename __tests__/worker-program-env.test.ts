import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestBroker, brokerUrl, uniqueQueue } from './helpers/amqp';
import { runWorker } from './helpers/worker-process';

/** The worker's own credentials, as a deployment gives them to it. */
const TOKEN = 'marathon-t0ken-secret';
const MARATHON = 'http://ops:marathon-pa55@127.0.0.1:1';

/** A persistent program in one line of sh: saves its environment, then answers ok to every message. */
const PERSISTENT_ENV_DUMP =
  `env > "$0"; while IFS= read -r l; do i=\${l#\\{\\"id\\":\\"}; i=\${i%%\\"*}; ` +
  `printf '{"id":"%s","ok":true}\\n' "$i"; done`;

const SPAWN_PATHS = [
  ['the wq-spawn helper', {}],
  ["Node's own spawn", { WQ_SPAWN_HELPER: '' }],
] as const;

describe("what a program's environment holds", () => {
  let broker: TestBroker;
  let dir: string;
  let envFile: string;
  beforeAll(async () => {
    broker = await TestBroker.open();
  });
  afterAll(async () => {
    await broker.close();
  });
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'wq-program-env-'));
    envFile = join(dir, 'env');
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Runs a worker for one message with the credentials in its environment; returns what the program saw. */
  async function programEnvironment(
    options: readonly string[],
    program: readonly string[],
    env: NodeJS.ProcessEnv = {},
  ): Promise<string> {
    const queue = uniqueQueue('penv');
    await broker.declare(queue);
    await broker.publish(queue, ['x'], { messageId: 'env-1' });
    const credentials = { AMQP_URL: brokerUrl(), MARATHON_TOKEN: TOKEN, MARATHON_URL: MARATHON };
    const exit = await runWorker(['-q', queue, '-c', '1', ...options, '--', ...program], { ...credentials, ...env });
    expect(exit.stderr).not.toMatch(/error/);
    expect(exit.code).toBe(0);
    return readFileSync(envFile, 'utf8');
  }

  describe.each(SPAWN_PATHS)('in spawn mode through %s', (_how, spawnEnv) => {
    it("does not hold the worker's credentials: AMQP_URL, MARATHON_TOKEN, a MARATHON_URL with a password", async () => {
      // GIVEN a worker that reads its broker URL and Marathon credentials from its environment
      // WHEN its program prints its environment
      const seen = await programEnvironment([], ['sh', '-c', 'env > "$0"', envFile], spawnEnv);
      // THEN none of the worker's credentials are there, the rest of the environment and WQ_* are
      expect(seen).not.toMatch(/^(AMQP_URL|MARATHON_TOKEN|MARATHON_URL)=/m);
      expect(seen).not.toContain(TOKEN);
      expect(seen).not.toContain('marathon-pa55');
      expect(seen).toMatch(/^PATH=/m);
      expect(seen).toMatch(/^WQ_MESSAGE_ID=env-1$/m);
    });

    it('holds AMQP_URL when --pass-env AMQP_URL asks for it, and only that one', async () => {
      const seen = await programEnvironment(['--pass-env', 'AMQP_URL'], ['sh', '-c', 'env > "$0"', envFile], spawnEnv);
      expect(seen).toContain(`\nAMQP_URL=${brokerUrl()}\n`);
      expect(seen).not.toContain(TOKEN);
    });
  });

  it("in persistent mode, does not hold the worker's credentials unless passed", async () => {
    const program = ['sh', '-c', PERSISTENT_ENV_DUMP, envFile];
    const scrubbed = await programEnvironment(['--persistent', '--concurrency', '1'], program);
    expect(scrubbed).not.toMatch(/^(AMQP_URL|MARATHON_TOKEN|MARATHON_URL)=/m);
    expect(scrubbed).toMatch(/^WQ_SLOT=1$/m);

    const passed = await programEnvironment(
      ['--persistent', '--concurrency', '1', '--pass-env', 'MARATHON_TOKEN'],
      program,
    );
    expect(passed).toMatch(new RegExp(`^MARATHON_TOKEN=${TOKEN}$`, 'm'));
    expect(passed).not.toMatch(/^AMQP_URL=/m);
  });

  it('keeps a MARATHON_URL without a password: it is not a secret', async () => {
    const seen = await programEnvironment([], ['sh', '-c', 'env > "$0"', envFile], {
      MARATHON_URL: 'http://marathon.mesos:8080',
    });
    expect(seen).toMatch(/^MARATHON_URL=http:\/\/marathon\.mesos:8080$/m);
  });

  it('refuses --pass-env of a name that is not withheld, naming those that are', async () => {
    const exit = await runWorker(['-q', 'unused', '--pass-env', 'AMQP_ULR', '--', 'cat']);
    expect(exit.code).toBe(2);
    expect(exit.stderr).toBe(
      'workqueue-worker: error: --pass-env AMQP_ULR: ' +
        'programs get every variable but AMQP_URL, MARATHON_TOKEN, MARATHON_URL; name one of those\n',
    );
  });

  it.each(SPAWN_PATHS)(
    'never runs the program when a message-id holds a NUL byte (through %s)',
    async (_how, spawnEnv) => {
      // GIVEN a message whose id tries to smuggle a second variable after a NUL
      const queue = uniqueQueue('nul-id');
      await broker.declare(queue);
      await broker.publish(queue, ['x'], { messageId: 'm\0BASH_ENV=/dev/null' });
      // WHEN the worker runs a program that would record its run, one attempt allowed
      const marker = join(dir, 'ran');
      const exit = await runWorker(
        ['-u', brokerUrl(), '-q', queue, '-c', '1', '--max-attempts', '1', '--', 'sh', '-c', 'touch "$0"', marker],
        spawnEnv,
      );
      // THEN the program never ran, and the message is dead-lettered, not lost, with a reason that
      // does not repeat the hostile value (the log line shows the id escaped)
      expect(exit.code).toBe(0);
      expect(existsSync(marker)).toBe(false);
      const [dead] = await broker.drain(`${queue}.dlq`);
      expect(String(dead.properties.headers?.['x-wq-reason'])).not.toContain('BASH_ENV');
    },
  );
});
