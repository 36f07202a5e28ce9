import 'cdktf/lib/testing/adapters/jest';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Testing, TerraformVariable } from 'cdktf';
import { Container } from '@cdktf/provider-docker/lib/container';
import { Broker, WorkQueueWorker } from '../constructs';
import { resources, synthesize } from './helpers/synth';

Testing.setupJest();

/** Every file under `dir`. */
function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
}

describe('a user stack with two worker fleets on two queues sharing one broker', () => {
  const handler = join(__dirname, 'fixtures', 'thumbnailer');
  const { json, dir, marathon } = synthesize((stack) => {
    const password = new TerraformVariable(stack, 'broker_password', { type: 'string', sensitive: true });
    const broker = new Broker(stack, 'broker', { queues: ['thumbnails', { name: 'emails', maxAttempts: 10 }], password: password.stringValue });
    new WorkQueueWorker(stack, 'thumbnailers', { queue: 'thumbnails', broker, program: '/app/handle.sh', handlerPath: handler, instances: 2 });
    new WorkQueueWorker(stack, 'mailers', { queue: 'emails', broker, program: 'curl', args: ['-sf', '--data-binary', '@-', 'http://mailer.internal/send'], packages: ['curl'] });
  });

  it('declares both queues, their dead-letter queues and one policy each in the broker definitions', () => {
    const broker = Object.values(resources(json, 'docker_image')).find((i) => String(i.name).startsWith('workqueue-broker'))!;
    const defs = JSON.parse(readFileSync(join(dir, (broker.build as { context: string }).context, 'definitions.json'), 'utf8')) as {
      queues: { name: string; durable: boolean; arguments: Record<string, unknown> }[];
      policies: { pattern: string; definition: Record<string, unknown> }[];
      users?: unknown;
    };
    expect(defs.queues.map((q) => q.name).sort()).toEqual(['emails', 'emails.dlq', 'thumbnails', 'thumbnails.dlq']);
    expect(defs.queues.every((q) => q.durable && q.arguments['x-queue-type'] === 'quorum')).toBe(true);
    expect(defs.policies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ pattern: '^emails$', definition: { 'dead-letter-exchange': '', 'dead-letter-routing-key': 'emails.dlq', 'delivery-limit': 20 } }),
        expect.objectContaining({ pattern: '^thumbnails$', definition: { 'dead-letter-exchange': '', 'dead-letter-routing-key': 'thumbnails.dlq', 'delivery-limit': 20 } }),
      ]),
    );
    // names and hashes are placeholders the entrypoint fills from the container environment at start
    expect(defs.users).toEqual([
      { name: '@WQ_BROKER_USER@', password_hash: '@WQ_BROKER_PASSWORD_HASH@', hashing_algorithm: 'rabbit_password_hashing_sha256', tags: ['administrator'] },
      { name: '@WQ_WORKER_USER@', password_hash: '@WQ_WORKER_PASSWORD_HASH@', hashing_algorithm: 'rabbit_password_hashing_sha256', tags: [] },
    ]);
  });

  it('gives each fleet its own image, containers and attempt limit from the broker policy', () => {
    expect(json).toHaveResourceWithProperties(Container, { count: 2, name: 'thumbnails-worker-${count.index}', command: expect.arrayContaining(['-q', 'thumbnails', '--max-attempts', '5', '/app/handle.sh']) });
    expect(json).toHaveResourceWithProperties(Container, { count: 1, name: 'emails-worker-${count.index}', command: expect.arrayContaining(['-q', 'emails', '--max-attempts', '10', 'curl', '-sf']) });
    expect(Object.keys(marathon).sort()).toEqual(['broker.json', 'emails-worker.json', 'thumbnails-worker.json']);
  });

  it("copies the user's handler into the worker image's /app", () => {
    const image = Object.values(resources(json, 'docker_image')).find((i) => String(i.name).startsWith('workqueue-thumbnails-worker'))!;
    const context = join(dir, (image.build as { context: string }).context);
    expect(existsSync(join(context, 'app', 'handle.sh'))).toBe(true);
  });

  it('writes no secret in plain text anywhere in the synthesized tree', () => {
    // The password is a variable: every file may name it, none may hold a value for it.
    const files = walk(dir).filter((f) => /\.(json|conf)$/.test(f));
    expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual(expect.arrayContaining(['cdk.tf.json', 'marathon/broker.json', expect.stringMatching(/definitions\.json$/), expect.stringMatching(/rabbitmq\.conf$/)]));
    const text = files.map((f) => readFileSync(f, 'utf8')).join('\n');
    expect(text).toContain('${var.broker_password}');
    expect(text).not.toMatch(/"password_hash": "(?!@WQ_)|"password"|WQ_(BROKER|WORKER)_PASSWORD=[^$]/);
    expect(text).not.toMatch(/amqp:\/\/[^:]+:(?!\$\{|\{\{)[^@]+@/);
  });
});
