import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Fn, Lazy, TerraformLocal, TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { Broker, WorkQueueWorker, type BrokerProps, type WorkQueueWorkerProps } from '../constructs';
import { marathonValidator } from './helpers/marathon-schema';
import { errorOf, imageManifests, resources, synthesize } from './helpers/synth';

const validate = marathonValidator();

function secret(scope: Construct, name: string): string {
  return new TerraformVariable(scope, name, { type: 'string', sensitive: true }).stringValue;
}

/** The broker image context's files of a synthesized stack. */
function brokerContext(json: string, dir: string): string {
  const image = Object.values(resources(json, 'docker_image')).find((i) =>
    String(i.name).startsWith('workqueue-broker'),
  )!;
  return join(dir, (image.build as { context: string }).context);
}

describe('workers get a broker user of their own, limited to their queues', () => {
  const { json, dir, marathon } = synthesize((stack) => {
    const broker = new Broker(stack, 'broker', { queues: ['jobs', 'mail.out'] });
    new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker });
  });

  it('defines the administrator for operators and a worker user without tags, on its queues only', () => {
    // GIVEN a broker with two queues, synthesized
    // WHEN reading the definitions baked into its image
    const defs = JSON.parse(readFileSync(join(brokerContext(json, dir), 'definitions.json'), 'utf8')) as {
      users: { name: string; tags: string[] }[];
      permissions: Record<string, string>[];
    };
    // THEN the worker user has no management tag, and configure/read cover exactly the queues and their .dlq
    expect(defs.users.map((u) => [u.name, u.tags])).toEqual([
      ['@WQ_BROKER_USER@', ['administrator']],
      ['@WQ_WORKER_USER@', []],
    ]);
    expect(defs.permissions).toEqual([
      { user: '@WQ_BROKER_USER@', vhost: '/', configure: '.*', write: '.*', read: '.*' },
      {
        user: '@WQ_WORKER_USER@',
        vhost: '/',
        configure: '^(jobs|jobs\\.dlq|mail\\.out|mail\\.out\\.dlq)$',
        write: '^amq\\.default$',
        read: '^(jobs|jobs\\.dlq|mail\\.out|mail\\.out\\.dlq)$',
      },
    ]);
  });

  it('gives the workers the worker user, in Docker and in Marathon, and the broker both users', () => {
    const worker = Object.values(resources(json, 'docker_container')).find((c) =>
      String(c.name).startsWith('jobs-worker'),
    )!;
    expect(worker.env).toEqual([
      expect.stringMatching(
        new RegExp(
          /^AMQP_URL=amqp:\/\/workqueue-worker:\$\{replace\(urlencode\(/.source +
            /random_password\.broker_worker-password_[0-9A-F]+\.result\), "\+", "%20"\)\}@broker:5672\/$/.source,
        ),
      ),
    ]);
    // Issue 14: Marathon apps on the marathon target only, so the Marathon half synthesizes the same stack there.
    expect(marathon).toEqual({});
    const { marathon: apps } = synthesize((stack) => {
      const broker = new Broker(stack, 'broker', { queues: ['jobs', 'mail.out'], target: 'marathon' });
      new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker });
    });
    expect(apps['jobs-worker.json'].env).toEqual({
      AMQP_URL: 'amqp://workqueue-worker:{{WORKER_PASSWORD}}@broker:5672/',
    });
    expect(apps['broker.json'].env).toEqual({
      WQ_BROKER_USER: 'workqueue',
      WQ_BROKER_PASSWORD: '{{BROKER_PASSWORD}}',
      WQ_WORKER_USER: 'workqueue-worker',
      WQ_WORKER_PASSWORD: '{{WORKER_PASSWORD}}',
    });
    for (const app of Object.values(apps)) expect(validate(app)).toEqual([]);
  });

  it('percent-encodes a given worker password in Broker.url for workers (Terraform urlencode, space as %20)', () => {
    const { json: tf } = synthesize((stack) => {
      const broker = new Broker(stack, 'broker', {
        queues: ['jobs'],
        password: secret(stack, 'admin_pw'),
        workerPassword: secret(stack, 'worker_pw'),
      });
      new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker, target: 'docker' });
    });
    const worker = Object.values(resources(tf, 'docker_container')).find((c) =>
      String(c.name).startsWith('jobs-worker'),
    )!;
    expect(worker.env).toEqual([
      'AMQP_URL=amqp://workqueue-worker:${replace(urlencode(var.worker_pw), "+", "%20")}@broker:5672/',
    ]);
  });
});

describe('broker credentials are checked at construction', () => {
  it.each<[string, (stack: Construct) => BrokerProps, RegExp]>([
    [
      'a literal joined to a token as password',
      (s) => ({ password: `abc${secret(s, 'pw')}` }),
      new RegExp(
        /Broker \(test\/broker\): invalid password "\*\*\*": /.source +
          /a literal, or a literal joined to a token, would be written in plain text/.source,
      ),
    ],
    [
      'a literal workerPassword',
      () => ({ workerPassword: 'hunter2hunter2' }),
      /Broker \(test\/broker\): invalid workerPassword "\*\*\*": a literal/,
    ],
    [
      'a worker user equal to the administrator',
      () => ({ workerUser: 'workqueue' }),
      /Broker \(test\/broker\): invalid workerUser "workqueue": use a name other than user/,
    ],
    [
      'a worker user with a quote',
      () => ({ workerUser: 'a"b' }),
      /Broker \(test\/broker\): invalid workerUser "a\\"b": use letters, digits/,
    ],
  ])('Broker rejects %s', (_what, props, message) => {
    const error = errorOf((stack) => new Broker(stack, 'broker', props(stack)));
    expect(error).toMatch(message);
    expect(error).not.toContain('hunter2');
  });

  it.each([0.5, 0.0004, 0])(
    'Broker rejects consumerTimeoutSeconds %p, which would write consumer_timeout = 0 or a few ms',
    (value) => {
      expect(errorOf((stack) => new Broker(stack, 'broker', { consumerTimeoutSeconds: value }))).toMatch(
        /Broker \(test\/broker\): invalid consumerTimeoutSeconds [0-9.e-]+: use at least 1 second/,
      );
    },
  );

  it('writes a fractional consumer timeout of at least 1 s in whole milliseconds', () => {
    const { json, dir } = synthesize((stack) => new Broker(stack, 'broker', { consumerTimeoutSeconds: 1.5 }));
    expect(readFileSync(join(brokerContext(json, dir), 'rabbitmq.conf'), 'utf8')).toMatch(/^consumer_timeout = 1500$/m);
  });
});

describe("the program's environment: env and secretEnv", () => {
  function workerError(props: (stack: Construct) => Partial<WorkQueueWorkerProps>): string {
    return errorOf((stack) => {
      const broker = new Broker(stack, 'broker', { queues: ['jobs'] });
      new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker, ...props(stack) });
    });
  }

  it.each<[string, (stack: Construct) => Partial<WorkQueueWorkerProps>, RegExp]>([
    [
      'an env name with =',
      () => ({ env: { 'A=B': 'x' } }),
      /WorkQueueWorker \(test\/workers\): invalid env "A=B": an environment variable name is letters, digits and _/,
    ],
    [
      'an env name with a newline',
      () => ({ env: { 'A\nB': 'x' } }),
      /invalid env "A\\nB": an environment variable name/,
    ],
    ['an env name starting with a digit', () => ({ env: { '1A': 'x' } }), /invalid env "1A"/],
    ['env AMQP_URL', () => ({ env: { AMQP_URL: 'amqp://x' } }), /invalid env "AMQP_URL": the construct sets AMQP_URL/],
    [
      'a token in env',
      (s) => ({ env: { API_KEY: secret(s, 'k') } }),
      /invalid env\['API_KEY'\] .*put secrets in secretEnv/,
    ],
    [
      'a literal secret',
      () => ({ secretEnv: { API_KEY: 'hunter2hunter2' } }),
      /invalid secretEnv\['API_KEY'\] "\*\*\*": a literal, or a literal joined to a token/,
    ],
    [
      'a literal joined to a token',
      (s) => ({ secretEnv: { API_KEY: `hunter2${secret(s, 'k')}` } }),
      /invalid secretEnv\['API_KEY'\] "\*\*\*": a literal, or a literal joined to a token/,
    ],
    [
      'a lowercase secret name (deploy fills only {{UPPER_CASE}})',
      (s) => ({ secretEnv: { api_key: secret(s, 'k') } }),
      /invalid secretEnv "api_key": use uppercase letters/,
    ],
    [
      'a secret named like a deploy flag',
      (s) => ({ secretEnv: { TAG: secret(s, 'k') } }),
      /invalid secretEnv "TAG": AMQP_URL, TAG, BROKER, QUEUE are set/,
    ],
    [
      'a name in both env and secretEnv',
      (s) => ({ env: { API_KEY: 'x' }, secretEnv: { API_KEY: secret(s, 'k') } }),
      /invalid secretEnv "API_KEY": it is also in env/,
    ],
  ])('WorkQueueWorker rejects %s', (_what, props, message) => {
    const error = workerError(props);
    expect(error).toMatch(message);
    expect(error).not.toContain('hunter2');
  });

  it.each(['docker', 'swarm', 'marathon'] as const)(
    'passes secrets as references (Terraform) and {{NAME}} placeholders (Marathon) on the %s target',
    (target) => {
      // GIVEN a worker with a plain variable and a secret from a sensitive variable
      const { json, dir, marathon } = synthesize((stack) => {
        const broker = new Broker(stack, 'broker', { queues: ['jobs'], target });
        new WorkQueueWorker(stack, 'workers', {
          queue: 'jobs',
          broker,
          env: { LOG_LEVEL: 'debug' },
          secretEnv: { API_KEY: secret(stack, 'api_key') },
        });
      });
      // THEN Terraform gets a reference, Marathon a placeholder, and neither holds a value
      if (target === 'docker') {
        const worker = Object.values(resources(json, 'docker_container')).find((c) =>
          String(c.name).startsWith('jobs-worker'),
        )!;
        expect(worker.env).toEqual(['LOG_LEVEL=debug', 'API_KEY=${var.api_key}', expect.stringMatching(/^AMQP_URL=/)]);
      }
      if (target === 'swarm') {
        const service = resources(json, 'docker_service');
        const spec = Object.values(service).find((s) => s.name === 'jobs-worker')!.task_spec as {
          container_spec: { env: Record<string, string> };
        };
        expect(spec.container_spec.env).toMatchObject({ LOG_LEVEL: 'debug', API_KEY: '${var.api_key}' });
      }
      // AND the neutral manifest the CLI reads holds the placeholder too, on every target
      expect(imageManifests(dir)['workqueue-jobs-worker'].env).toEqual({ LOG_LEVEL: 'debug', API_KEY: '{{API_KEY}}' });
      // Issue 14: Marathon apps on the marathon target only.
      if (target !== 'marathon') return expect(marathon).toEqual({});
      expect(marathon['jobs-worker.json'].env).toEqual({
        LOG_LEVEL: 'debug',
        API_KEY: '{{API_KEY}}',
        AMQP_URL: 'amqp://workqueue-worker:{{WORKER_PASSWORD}}@broker:5672/',
      });
      expect(validate(marathon['jobs-worker.json'])).toEqual([]);
    },
  );
});

describe('a secret must resolve to a sensitive expression, not merely be a token', () => {
  const PLAIN = new RegExp(
    /would be written in plain text into cdk\.tf\.json \(or shown by terraform plan\): /.source +
      /use a TerraformVariable declared sensitive: true without a default .*random_password/.source,
  );
  const plainVar = (s: Construct, name: string, props = {}) =>
    new TerraformVariable(s, name, { type: 'string', ...props }).stringValue;

  it.each<[string, (stack: Construct) => BrokerProps, RegExp]>([
    [
      'a Lazy producing text',
      () => ({ password: Lazy.stringValue({ produce: () => 'hunter2' }) }),
      /invalid password "\*\*\*": a literal, or a literal joined to a token, would be/,
    ],
    [
      'a TerraformLocal',
      (s) => ({ password: new TerraformLocal(s, 'pw', 'hunter2').asString }),
      /invalid password "\*\*\*": local\.pw, a local value/,
    ],
    [
      'a variable with a default, not sensitive',
      (s) => ({ password: plainVar(s, 'pw', { default: 'hunter2' }) }),
      /invalid password "\*\*\*": var\.pw, a TerraformVariable not declared sensitive: true/,
    ],
    [
      'a variable not declared sensitive',
      (s) => ({ workerPassword: plainVar(s, 'wpw') }),
      /invalid workerPassword "\*\*\*": var\.wpw, a TerraformVariable not declared sensitive: true/,
    ],
    [
      'a sensitive variable with a default',
      (s) => ({ password: plainVar(s, 'pw', { sensitive: true, default: 'hunter2' }) }),
      /invalid password "\*\*\*": var\.pw, a sensitive TerraformVariable with a default/,
    ],
    [
      'a function of a literal',
      () => ({ password: Fn.lower('hunter2') }),
      /invalid password "\*\*\*": an expression holding a literal/,
    ],
    [
      'a function joining a literal to a sensitive variable',
      (s) => ({ password: Fn.join('', ['hunter2', secret(s, 'pw')]) }),
      /invalid password "\*\*\*": an expression holding a literal/,
    ],
  ])('Broker refuses %s as a password, naming the reference, never the value', (_what, props, message) => {
    // GIVEN a password that is a token, but whose Terraform expression carries plain text
    // WHEN the broker is constructed
    const error = errorOf((stack) => new Broker(stack, 'broker', { queues: ['jobs'], ...props(stack) }));
    // THEN it is refused, with the construct path, the prop, the reason and the fix
    expect(error).toMatch(/^Broker \(test\/broker\): /);
    expect(error).toMatch(message);
    expect(error).toMatch(PLAIN);
    expect(error).not.toContain('hunter2');
  });

  it.each<[string, (stack: Construct) => Partial<WorkQueueWorkerProps>, RegExp]>([
    [
      'a secretEnv from a Lazy producing text',
      () => ({ secretEnv: { API_KEY: Lazy.stringValue({ produce: () => 'hunter2' }) } }),
      /invalid secretEnv\['API_KEY'\] "\*\*\*": a literal/,
    ],
    [
      'a secretEnv from a local',
      (s) => ({ secretEnv: { API_KEY: new TerraformLocal(s, 'key', 'hunter2').asString } }),
      /invalid secretEnv\['API_KEY'\] "\*\*\*": local\.key, a local value/,
    ],
    [
      'a broker URL whose password is a Lazy producing text',
      () => ({ broker: `amqp://u:${Lazy.stringValue({ produce: () => 'hunter2' })}@rabbit:5672/` }),
      /invalid broker "\*\*\*": a literal password would be/,
    ],
    [
      'a broker URL whose password is a local',
      (s) => ({ broker: `amqp://u:${new TerraformLocal(s, 'pw', 'hunter2').asString}@rabbit:5672/` }),
      /invalid broker "\*\*\*": its password, local\.pw, a local value/,
    ],
    [
      'a broker URL that is a variable not declared sensitive',
      (s) => ({ broker: plainVar(s, 'url', { default: 'amqp://u:hunter2@rabbit/' }) }),
      /invalid broker "\*\*\*": var\.url, a TerraformVariable not declared sensitive: true/,
    ],
  ])('WorkQueueWorker refuses %s', (_what, props, message) => {
    const error = errorOf((stack) => {
      const broker = new Broker(stack, 'broker', { queues: ['jobs'] });
      new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker, ...props(stack) });
    });
    expect(error).toMatch(/^WorkQueueWorker \(test\/workers\): /);
    expect(error).toMatch(message);
    expect(error).toMatch(PLAIN);
    expect(error).not.toContain('hunter2');
  });

  it('accepts functions of sensitive variables and resource attributes, and writes only references', () => {
    // GIVEN a password computed from a sensitive variable, a secret from a random_password, and another broker's URL,
    // on the docker target and (issue 14: Marathon apps only there) the marathon target
    const build = (target: 'docker' | 'marathon') => (stack: Construct) => {
      const password = Fn.lower(secret(stack, 'admin_pw'));
      const broker = new Broker(stack, 'broker', { queues: ['jobs'], password, target });
      const other = new Broker(stack, 'other', { name: 'other', queues: ['jobs'], target });
      new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker, secretEnv: { API_KEY: other.workerPassword } });
      new WorkQueueWorker(stack, 'remote', { queue: 'jobs', name: 'remote', broker: other.url, target });
    };
    const { json } = synthesize(build('docker'));
    const { marathon } = synthesize(build('marathon'));
    // THEN cdk.tf.json holds the expressions, and the Marathon apps placeholders that pass the schema
    const containers = Object.values(resources(json, 'docker_container'));
    expect(containers.find((c) => c.name === 'broker')!.env).toContain('WQ_BROKER_PASSWORD=${lower(var.admin_pw)}');
    expect(containers.find((c) => String(c.name).startsWith('jobs-worker'))!.env).toContainEqual(
      expect.stringMatching(/^API_KEY=\$\{random_password\.other_worker-password_[0-9A-F]+\.result\}$/),
    );
    expect(containers.find((c) => String(c.name).startsWith('remote'))!.env).toEqual([
      expect.stringMatching(
        new RegExp(
          /^AMQP_URL=amqp:\/\/workqueue-worker:\$\{replace\(urlencode\(/.source +
            /random_password\.other_worker-password_[0-9A-F]+\.result\), "\+", "%20"\)\}@other:5672\/$/.source,
        ),
      ),
    ]);
    expect(marathon['remote.json'].env).toEqual({ AMQP_URL: '{{AMQP_URL}}' });
    for (const app of Object.values(marathon)) expect(validate(app)).toEqual([]);
  });
});
