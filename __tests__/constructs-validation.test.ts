import { TerraformVariable } from 'cdktf';
import { Broker, WorkQueueWorker, type BrokerProps, type WorkQueueWorkerProps } from '../constructs';
import { testStack } from './helpers/synth';

function brokerError(props: BrokerProps): string {
  try {
    new Broker(testStack(), 'broker', props);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('no error thrown');
}

function workerError(props: Omit<WorkQueueWorkerProps, 'broker'>, brokerProps: BrokerProps = { queues: ['jobs'] }): string {
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
    ['an empty queue name', { queues: [''] }, /Broker \(test\/broker\): invalid queues "": a queue name must be 1 to 251 bytes/],
    ['an over-255-byte queue name', { queues: ['q'.repeat(256)] }, /Broker \(test\/broker\): invalid queues 'q{57}\.\.\.' \(256 chars\): a queue name must be 1 to 251 bytes/],
    ['a Marathon-invalid name', { name: 'My_Broker' }, /Broker \(test\/broker\): invalid name "My_Broker": use lowercase letters, digits/],
    ['an unknown target', { target: 'kubernetes' as never }, /Broker \(test\/broker\): invalid target "kubernetes": use one of 'docker', 'swarm', 'marathon'/],
    ['a literal password', { password: 'hunter2hunter2' }, /Broker \(test\/broker\): invalid password "\*\*\*": a literal, or a literal joined to a token, would be written in plain text/],
    ['a negative consumer timeout', { consumerTimeoutSeconds: -1 }, /Broker \(test\/broker\): invalid consumerTimeoutSeconds -1: use at least 1 second/],
  ])('Broker rejects %s', (_what, props, message) => {
    const error = brokerError(props);
    expect(error).toMatch(message);
    expect(error).not.toContain('hunter2');
  });

  it.each([
    ['negative instances', { queue: 'jobs', instances: -1 }, /WorkQueueWorker \(test\/workers\): invalid instances -1: use a whole number of at least 0/],
    ['a timeout at the consumer_timeout', { queue: 'jobs', timeoutSeconds: 1800 }, /WorkQueueWorker \(test\/workers\): invalid timeoutSeconds 1800: it must stay below the broker's consumerTimeoutSeconds \(1800\)/],
    ['a queue the broker does not declare', { queue: 'other' }, /WorkQueueWorker \(test\/workers\): invalid queue "other": broker 'broker' does not declare it: add it to the Broker's queues \(declared: jobs\)/],
    ['a Marathon-invalid name', { queue: 'jobs', name: '-bad-' }, /WorkQueueWorker \(test\/workers\): invalid name "-bad-"/],
    ['an unknown target', { queue: 'jobs', target: 'nomad' as never }, /WorkQueueWorker \(test\/workers\): invalid target "nomad": use one of/],
    ['an attempt limit other than the broker policy', { queue: 'jobs', maxAttempts: 9 }, /WorkQueueWorker \(test\/workers\): invalid maxAttempts 9: the broker's policy for 'jobs' allows 5/],
    ['a missing handler path', { queue: 'jobs', handlerPath: '/no/such/dir' }, /WorkQueueWorker \(test\/workers\): invalid handlerPath "\/no\/such\/dir": give an existing file or directory/],
  ])('WorkQueueWorker rejects %s', (_what, props, message) => {
    expect(workerError(props)).toMatch(message);
  });

  it('WorkQueueWorker derives a name from a queue that makes a bad Marathon id, and says to set it', () => {
    expect(workerError({ queue: 'Jobs_EU' }, { queues: ['Jobs_EU'] })).toMatch(/WorkQueueWorker \(test\/workers\): invalid name \(derived from queue; set name explicitly\) "Jobs_EU-worker"/);
  });

  it('WorkQueueWorker rejects an external URL with a literal password, without printing it', () => {
    let message = '';
    try {
      new WorkQueueWorker(testStack(), 'w', { queue: 'jobs', broker: 'amqp://u:s3cr3tpass@rabbit.example:5672/' });
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/WorkQueueWorker \(test\/w\): invalid broker .*a literal password would be written in plain text/);
    expect(message).not.toContain('s3cr3tpass');
  });

  it('accepts a password given as a sensitive variable', () => {
    const stack = testStack();
    const password = new TerraformVariable(stack, 'broker_password', { type: 'string', sensitive: true });
    const broker = new Broker(stack, 'broker', { queues: ['jobs'], password: password.stringValue });
    expect(broker.url).toContain('${');
  });
});
