import 'cdktf/lib/testing/adapters/jest';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { Testing, TerraformProvider, TerraformVariable } from 'cdktf';
import { Container } from '@cdktf/provider-docker/lib/container';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import type { Construct } from 'constructs';
import { Broker, WorkQueueWorker } from '../constructs';
import { errorOf, imageManifests, resources, synthesize } from './helpers/synth';

Testing.setupJest();

/** Every file under `dir`. */
function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
}

describe('a user stack with two worker fleets on two queues sharing one broker', () => {
  const handler = join(__dirname, 'fixtures', 'thumbnailer');
  const { json, dir, marathon } = synthesize((stack) => {
    const password = new TerraformVariable(stack, 'broker_password', { type: 'string', sensitive: true });
    const broker = new Broker(stack, 'broker', {
      queues: ['thumbnails', { name: 'emails', maxAttempts: 10 }],
      password: password.stringValue,
    });
    new WorkQueueWorker(stack, 'thumbnailers', {
      queue: 'thumbnails',
      broker,
      program: '/app/handle.sh',
      handlerPath: handler,
      instances: 2,
    });
    new WorkQueueWorker(stack, 'mailers', {
      queue: 'emails',
      broker,
      program: 'curl',
      args: ['-sf', '--data-binary', '@-', 'http://mailer.internal/send'],
      packages: ['curl'],
    });
  });

  it('declares both queues, their dead-letter queues and one policy each in the broker definitions', () => {
    const broker = Object.values(resources(json, 'docker_image')).find((i) =>
      String(i.name).startsWith('workqueue-broker'),
    )!;
    const defs = JSON.parse(
      readFileSync(join(dir, (broker.build as { context: string }).context, 'definitions.json'), 'utf8'),
    ) as {
      queues: { name: string; durable: boolean; arguments: Record<string, unknown> }[];
      policies: { pattern: string; definition: Record<string, unknown> }[];
      users?: unknown;
    };
    expect(defs.queues.map((q) => q.name).sort()).toEqual(['emails', 'emails.dlq', 'thumbnails', 'thumbnails.dlq']);
    expect(defs.queues.every((q) => q.durable && q.arguments['x-queue-type'] === 'quorum')).toBe(true);
    expect(defs.policies).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          pattern: '^emails$',
          definition: { 'dead-letter-exchange': '', 'dead-letter-routing-key': 'emails.dlq', 'delivery-limit': 20 },
        }),
        expect.objectContaining({
          pattern: '^thumbnails$',
          definition: { 'dead-letter-exchange': '', 'dead-letter-routing-key': 'thumbnails.dlq', 'delivery-limit': 20 },
        }),
      ]),
    );
    // names and hashes are placeholders the entrypoint fills from the container environment at start
    expect(defs.users).toEqual([
      {
        name: '@WQ_BROKER_USER@',
        password_hash: '@WQ_BROKER_PASSWORD_HASH@',
        hashing_algorithm: 'rabbit_password_hashing_sha256',
        tags: ['administrator'],
      },
      {
        name: '@WQ_WORKER_USER@',
        password_hash: '@WQ_WORKER_PASSWORD_HASH@',
        hashing_algorithm: 'rabbit_password_hashing_sha256',
        tags: [],
      },
    ]);
  });

  it('gives each fleet its own image, containers and attempt limit from the broker policy', () => {
    expect(json).toHaveResourceWithProperties(Container, {
      count: 2,
      name: 'thumbnails-worker-${count.index}',
      command: expect.arrayContaining(['-q', 'thumbnails', '--max-attempts', '5', '/app/handle.sh']),
    });
    expect(json).toHaveResourceWithProperties(Container, {
      count: 1,
      name: 'emails-worker-${count.index}',
      command: expect.arrayContaining(['-q', 'emails', '--max-attempts', '10', 'curl', '-sf']),
    });
    // Issue 14: no Marathon apps on the docker target; each component has its neutral manifest instead.
    expect(marathon).toEqual({});
    expect(Object.keys(imageManifests(dir)).sort()).toEqual([
      'workqueue-broker',
      'workqueue-emails-worker',
      'workqueue-thumbnails-worker',
    ]);
  });

  it("copies the user's handler into the worker image's /app", () => {
    const image = Object.values(resources(json, 'docker_image')).find((i) =>
      String(i.name).startsWith('workqueue-thumbnails-worker'),
    )!;
    const context = join(dir, (image.build as { context: string }).context);
    expect(existsSync(join(context, 'app', 'handle.sh'))).toBe(true);
  });

  it('writes no secret in plain text anywhere in the synthesized tree', () => {
    // The password is a variable: every file may name it, none may hold a value for it.
    const files = walk(dir).filter((f) => /\.(json|conf)$/.test(f));
    expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual(
      expect.arrayContaining([
        'cdk.tf.json',
        'images/workqueue-broker.json', // issue 14: the neutral manifest, no Marathon app on the docker target
        expect.stringMatching(/definitions\.json$/),
        expect.stringMatching(/rabbitmq\.conf$/),
      ]),
    );
    const text = files.map((f) => readFileSync(f, 'utf8')).join('\n');
    expect(text).toContain('${var.broker_password}');
    expect(text).not.toMatch(/"password_hash": "(?!@WQ_)|"password"|WQ_(BROKER|WORKER)_PASSWORD=[^$]/);
    expect(text).not.toMatch(/amqp:\/\/[^:]+:(?!\$\{|\{\{)[^@]+@/);
  });
});

/** A Docker provider from another copy of @cdktf/provider-docker: same Terraform type, another class. */
class OtherCopyDockerProvider extends TerraformProvider {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      terraformResourceType: 'docker',
      terraformProviderSource: 'kreuzwerker/docker',
      terraformGeneratorMetadata: { providerName: 'docker' },
    });
  }

  protected synthesizeAttributes(): Record<string, unknown> {
    return { host: 'unix:///run/user/1000/docker.sock' };
  }
}

/** The provider blocks of one type in synthesized Terraform JSON. */
function providerBlocks(json: string, type: string): Record<string, unknown>[] {
  return (JSON.parse(json) as { provider?: Record<string, Record<string, unknown>[]> }).provider?.[type] ?? [];
}

describe('a user stack that declares its own Docker provider', () => {
  const system = (stack: Construct): void => {
    const broker = new Broker(stack, 'broker', { queues: ['jobs'] });
    new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker });
  };

  it.each([
    [
      'before the constructs, by the same construct id',
      (stack: Construct) => {
        new DockerProvider(stack, 'docker', { host: 'unix:///run/user/1000/docker.sock' });
        system(stack);
      },
    ],
    [
      'after the constructs, by the same construct id',
      (stack: Construct) => {
        system(stack);
        new DockerProvider(stack, 'docker', { host: 'unix:///run/user/1000/docker.sock' });
      },
    ],
    [
      'from another copy of the provider package',
      (stack: Construct) => {
        new OtherCopyDockerProvider(stack, 'my-docker');
        system(stack);
      },
    ],
  ])("synthesizes one docker provider block, the user's: declared %s", (_when, build) => {
    // GIVEN a stack whose Docker provider is the user's (a rootless Docker socket)
    // WHEN a broker and a fleet are added and the stack is synthesized
    const { json } = synthesize(build);
    // THEN the stack has one docker provider, with the user's settings, and still one random provider
    expect(providerBlocks(json, 'docker')).toEqual([
      expect.objectContaining({ host: 'unix:///run/user/1000/docker.sock' }),
    ]);
    expect(providerBlocks(json, 'random')).toHaveLength(1);
  });

  it("adds its own docker provider beside a user's aliased one", () => {
    // GIVEN an aliased Docker provider of the user's, which resources do not use unless they name it
    const { json } = synthesize((stack) => {
      new DockerProvider(stack, 'docker', { alias: 'remote', host: 'ssh://deploy@remote' });
      system(stack);
    });
    // THEN the stack also gets the default configuration its resources use
    const blocks = providerBlocks(json, 'docker');
    expect(blocks).toHaveLength(2);
    expect(blocks.map((b) => b.alias)).toEqual(['remote', undefined]);
  });
});

describe('two fleets on one queue', () => {
  it('are refused without names, with the fix', () => {
    // GIVEN two fleets on 'jobs' that leave name to its default
    const message = errorOf((stack) => {
      const broker = new Broker(stack, 'broker', { queues: ['jobs'] });
      new WorkQueueWorker(stack, 'small', { queue: 'jobs', broker });
      new WorkQueueWorker(stack, 'gpu', { queue: 'jobs', broker });
    });
    // THEN the second is refused: which name, which other fleet, and what to set
    expect(message).toBe(
      'WorkQueueWorker (test/gpu): invalid name (derived from queue) "jobs-worker": ' +
        'WorkQueueWorker (test/small) has it too, so both would share container, service and host names and the ' +
        "Marathon app file: several fleets on queue 'jobs' need a name each: set name, e.g. name: 'jobs-gpu'",
    );
  });

  it.each([
    [
      'a fleet named like another',
      { name: 'jobs-worker' },
      /invalid name "jobs-worker": WorkQueueWorker \(test\/small\) has it too/,
    ],
    ['a fleet named like the broker', { name: 'broker' }, /invalid name "broker": Broker \(test\/broker\) has it too/],
    [
      'a fleet with the image of another',
      { name: 'gpu', imageName: 'workqueue-jobs-worker' },
      new RegExp(
        /invalid imageName "workqueue-jobs-worker": WorkQueueWorker \(test\/small\) has it too, /.source +
          /so both would share one image tag/.source,
      ),
    ],
  ])('refuse %s', (_what, props, message) => {
    expect(
      errorOf((stack) => {
        const broker = new Broker(stack, 'broker', { queues: ['jobs'] });
        new WorkQueueWorker(stack, 'small', { queue: 'jobs', broker });
        new WorkQueueWorker(stack, 'gpu', { queue: 'jobs', broker, ...props });
      }),
    ).toMatch(message);
  });

  it('refuse a second broker of the same name', () => {
    expect(
      errorOf((stack) => {
        new Broker(stack, 'broker', { queues: ['jobs'] });
        new Broker(stack, 'other', { queues: ['mail'] });
      }),
    ).toMatch(
      /Broker \(test\/other\): invalid name "broker": Broker \(test\/broker\) has it too.*give each broker and fleet/,
    );
  });

  it('with names of their own get containers, images and Marathon apps of their own', () => {
    // GIVEN two fleets on 'jobs', one named
    const { json, dir, marathon } = synthesize((stack) => {
      const broker = new Broker(stack, 'broker', { queues: ['jobs'] });
      new WorkQueueWorker(stack, 'small', { queue: 'jobs', broker });
      new WorkQueueWorker(stack, 'gpu', { queue: 'jobs', broker, name: 'jobs-gpu' });
    });
    // THEN nothing of one is the other's
    const containers = Object.values(resources(json, 'docker_container')).map((c) => c.name);
    expect(containers.sort()).toEqual(['broker', 'jobs-gpu-${count.index}', 'jobs-worker-${count.index}']);
    const images = Object.values(resources(json, 'docker_image')).map((i) => String(i.name).split(':')[0]);
    expect(images.sort()).toEqual(['workqueue-broker', 'workqueue-jobs-gpu', 'workqueue-jobs-worker']);
    // Issue 14: manifests of their own (Marathon apps are the marathon target's, below)
    expect(marathon).toEqual({});
    const manifests = Object.values(imageManifests(dir)).map((m) => `${m.component} ${m.name} ${m.queue ?? '-'}`);
    expect(manifests.sort()).toEqual(['broker broker -', 'worker jobs-gpu jobs', 'worker jobs-worker jobs']);
    const { marathon: apps } = synthesize((stack) => {
      const broker = new Broker(stack, 'broker', { queues: ['jobs'], target: 'marathon' });
      new WorkQueueWorker(stack, 'small', { queue: 'jobs', broker });
      new WorkQueueWorker(stack, 'gpu', { queue: 'jobs', broker, name: 'jobs-gpu' });
    });
    expect(Object.keys(apps).sort()).toEqual(['broker.json', 'jobs-gpu.json', 'jobs-worker.json']);
  });
});
