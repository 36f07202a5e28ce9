import { TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { Broker, WorkQueueWorker, type BrokerProps, type WorkQueueWorkerProps } from '../constructs';
import { marathonValidator } from './helpers/marathon-schema';
import { resources, synthesize, testStack } from './helpers/synth';

const validate = marathonValidator();

function brokerError(props: BrokerProps): string {
  try {
    new Broker(testStack(), 'broker', props);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('no error thrown');
}

function workerError(
  props: Omit<WorkQueueWorkerProps, 'broker'>,
  brokerProps: BrokerProps = { queues: ['jobs'] },
): string {
  const stack = testStack();
  const broker = new Broker(stack, 'broker', brokerProps);
  try {
    new WorkQueueWorker(stack, 'workers', { ...props, broker });
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('no error thrown');
}

describe('props are validated at construction, with the prop, the value and the fix', () => {
  it.each([
    [
      'an empty queue name',
      { queues: [''] },
      /Broker \(test\/broker\): invalid queues "": a queue name must be 1 to 251 bytes/,
    ],
    [
      'an over-255-byte queue name',
      { queues: ['q'.repeat(256)] },
      /Broker \(test\/broker\): invalid queues 'q{57}\.\.\.' \(256 chars\): a queue name must be 1 to 251 bytes/,
    ],
    [
      'a Marathon-invalid name',
      { name: 'My_Broker' },
      /Broker \(test\/broker\): invalid name "My_Broker": use lowercase letters, digits/,
    ],
    [
      'an unknown target',
      { target: 'nomad' as never },
      /Broker \(test\/broker\): invalid target "nomad": use one of 'docker', 'swarm', 'marathon', 'kubernetes'/,
    ],
    [
      'a literal password',
      { password: 'hunter2hunter2' },
      new RegExp(
        /Broker \(test\/broker\): invalid password "\*\*\*": /.source +
          /a literal, or a literal joined to a token, would be written in plain text/.source,
      ),
    ],
    [
      'a negative consumer timeout',
      { consumerTimeoutSeconds: -1 },
      /Broker \(test\/broker\): invalid consumerTimeoutSeconds -1: use at least 1 second/,
    ],
  ])('Broker rejects %s', (_what, props, message) => {
    const error = brokerError(props);
    expect(error).toMatch(message);
    expect(error).not.toContain('hunter2');
  });

  it.each([
    [
      'negative instances',
      { queue: 'jobs', instances: -1 },
      /WorkQueueWorker \(test\/workers\): invalid instances -1: use a whole number of at least 0/,
    ],
    [
      'a timeout at the consumer_timeout',
      { queue: 'jobs', timeoutSeconds: 1800 },
      new RegExp(
        /WorkQueueWorker \(test\/workers\): invalid timeoutSeconds 1800: /.source +
          /it must stay below the broker's consumerTimeoutSeconds \(1800\)/.source,
      ),
    ],
    [
      'a queue the broker does not declare',
      { queue: 'other' },
      new RegExp(
        /WorkQueueWorker \(test\/workers\): invalid queue "other": broker 'broker' does not declare it: /.source +
          /add it to the Broker's queues \(declared: jobs\)/.source,
      ),
    ],
    [
      'a Marathon-invalid name',
      { queue: 'jobs', name: '-bad-' },
      /WorkQueueWorker \(test\/workers\): invalid name "-bad-"/,
    ],
    [
      'an unknown target',
      { queue: 'jobs', target: 'nomad' as never },
      /WorkQueueWorker \(test\/workers\): invalid target "nomad": use one of/,
    ],
    [
      "an attempt limit other than the Broker's queue declares",
      { queue: 'jobs', maxAttempts: 9 },
      /WorkQueueWorker \(test\/workers\): invalid maxAttempts 9: the Broker declares 'jobs' with maxAttempts 5/,
    ],
    [
      'a missing handler path',
      { queue: 'jobs', handlerPath: '/no/such/dir' },
      /WorkQueueWorker \(test\/workers\): invalid handlerPath "\/no\/such\/dir": give an existing file or directory/,
    ],
  ])('WorkQueueWorker rejects %s', (_what, props, message) => {
    expect(workerError(props)).toMatch(message);
  });

  it('WorkQueueWorker derives a name from a queue that makes a bad Marathon id, and says to set it', () => {
    expect(workerError({ queue: 'Jobs_EU' }, { queues: ['Jobs_EU'] })).toMatch(
      /WorkQueueWorker \(test\/workers\): invalid name \(derived from queue; set name explicitly\) "Jobs_EU-worker"/,
    );
  });

  it('WorkQueueWorker rejects an external URL with a literal password, without printing it', () => {
    let message = '';
    try {
      new WorkQueueWorker(testStack(), 'w', { queue: 'jobs', broker: 'amqp://u:s3cr3tpass@rabbit.example:5672/' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(
      /WorkQueueWorker \(test\/w\): invalid broker .*a literal password would be written in plain text/,
    );
    expect(message).not.toContain('s3cr3tpass');
  });

  it('accepts a password given as a sensitive variable', () => {
    const stack = testStack();
    const password = new TerraformVariable(stack, 'broker_password', { type: 'string', sensitive: true });
    const broker = new Broker(stack, 'broker', { queues: ['jobs'], password: password.stringValue });
    expect(broker.url).toContain('${');
  });
});

describe('props that would only fail later (at build, deploy or run time) are refused at construction', () => {
  it.each<[string, BrokerProps, RegExp]>([
    [
      'a dataVolume that is a relative path (Marathon wants a one-level volume name)',
      { queues: ['jobs'], dataVolume: '../../../etc', target: 'marathon' },
      /^Broker \(test\/broker\): invalid dataVolume "\.\.\/\.\.\/\.\.\/etc": use a volume name: .*no '\/' or '\.\.'/,
    ],
    [
      'a dataVolume that is an absolute path',
      { queues: ['jobs'], dataVolume: '/etc' },
      /^Broker \(test\/broker\): invalid dataVolume "\/etc": use a volume name/,
    ],
    [
      'a dataVolume with ..',
      { queues: ['jobs'], dataVolume: 'data..old' },
      /^Broker \(test\/broker\): invalid dataVolume "data\.\.old": use a volume name/,
    ],
    [
      'the management UI and AMQP on the same host port',
      { queues: ['jobs'], amqpHostPort: 5672, managementHostPort: 5672 },
      /^Broker \(test\/broker\): invalid managementHostPort 5672: it is also amqpHostPort/,
    ],
    [
      'a queue named like the dead-letter queue of another',
      { queues: ['q', 'q.dlq'] },
      new RegExp(
        /^Broker \(test\/broker\): invalid queues "q\.dlq": /.source +
          /it is the dead-letter queue the broker declares for 'q': rename one of them/.source,
      ),
    ],
    [
      'an imageTag with a newline',
      { queues: ['jobs'], imageTag: 'x\nRUN evil' },
      /^Broker \(test\/broker\): invalid imageTag "x\\nRUN evil": use a Docker tag/,
    ],
    [
      'an imageName with an escape character',
      { queues: ['jobs'], imageName: 'broker\u001b[2J' },
      /^Broker \(test\/broker\): invalid imageName "broker\\u001b\[2J": use a Docker image name/,
    ],
  ])('Broker refuses %s', (_what, props, message) => {
    expect(brokerError(props)).toMatch(message);
  });

  it.each<[string, Omit<WorkQueueWorkerProps, 'broker'>, RegExp]>([
    [
      'a NUL in a program argument',
      { queue: 'jobs', program: 'cat', args: ['-n', 'a\0b'] },
      new RegExp(
        /^WorkQueueWorker \(test\/workers\): invalid args\[1\] "a\\u0000b": /.source +
          /a program argument or environment variable cannot hold a NUL character/.source,
      ),
    ],
    [
      'a program with a newline',
      { queue: 'jobs', program: 'cat\nRUN x' },
      new RegExp(
        /^WorkQueueWorker \(test\/workers\): invalid program "cat\\nRUN x": /.source +
          /it holds a control character .*: name the program by its path/.source,
      ),
    ],
    [
      'a program with DEL',
      { queue: 'jobs', program: 'cat\u007f' },
      /^WorkQueueWorker \(test\/workers\): invalid program "cat\\u007f": it holds a control character/,
    ],
    [
      'an imageTag with a carriage return',
      { queue: 'jobs', imageTag: 'v1\r' },
      /^WorkQueueWorker \(test\/workers\): invalid imageTag "v1\\r": use a Docker tag/,
    ],
    [
      'an imageName with a newline',
      { queue: 'jobs', imageName: 'reg.example/app\nx' },
      /^WorkQueueWorker \(test\/workers\): invalid imageName "reg\.example\/app\\nx": use a Docker image name/,
    ],
  ])('WorkQueueWorker refuses %s', (_what, props, message) => {
    expect(workerError(props)).toMatch(message);
  });

  it('keeps a valid data volume, image and arguments as given in Docker and Marathon (schema-valid)', () => {
    // GIVEN valid values close to the refused ones, on the docker and (issue 14: its own stack) marathon targets
    const build = (target: 'docker' | 'marathon') => (stack: Construct) => {
      const broker = new Broker(stack, 'broker', {
        queues: ['q', 'q.dlq.archive'],
        dataVolume: 'rabbit_data.v2',
        amqpHostPort: 5672,
        managementHostPort: 15672,
        target,
      });
      new WorkQueueWorker(stack, 'workers', {
        queue: 'q',
        broker,
        program: '/app/run',
        args: ['line one\nline two'],
        imageName: 'registry.example:5000/team/app',
        imageTag: 'v1.2_3',
      });
    };
    const { json } = synthesize(build('docker'));
    const { marathon } = synthesize(build('marathon'));
    // THEN they reach the synthesized files unchanged
    expect(Object.values(resources(json, 'docker_volume')).map((v) => v.name)).toEqual(['rabbit_data.v2']);
    // a Marathon local persistent volume of that name, mapped to /var/lib/rabbitmq (no directory of the agent)
    expect(marathon['broker.json'].container).toMatchObject({
      volumes: [
        { containerPath: 'rabbit_data.v2', mode: 'RW', persistent: { type: 'root', size: 4096 } },
        { containerPath: '/var/lib/rabbitmq', hostPath: 'rabbit_data.v2', mode: 'RW' },
      ],
    });
    expect(marathon['broker.json']).toMatchObject({ residency: { taskLostBehavior: 'WAIT_FOREVER' } });
    expect((marathon['q-worker.json'].args as string[]).slice(-3)).toEqual(['--', '/app/run', 'line one\nline two']);
    expect(marathon['q-worker.json'].container).toMatchObject({
      docker: { image: 'registry.example:5000/team/app:v1.2_3' },
    });
    for (const app of Object.values(marathon)) expect(validate(app)).toEqual([]);
  });
});
