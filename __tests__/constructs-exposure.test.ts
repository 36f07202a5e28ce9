import type { Construct } from 'constructs';
import { Broker, WorkQueueWorker, type BrokerProps } from '../constructs';
import { marathonValidator } from './helpers/marathon-schema';
import { resources, synthesize, testStack } from './helpers/synth';

const validate = marathonValidator();

function brokerStack(props: BrokerProps) {
  return synthesize((stack: Construct) => {
    const broker = new Broker(stack, 'broker', { queues: ['jobs'], ...props });
    new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker });
  });
}

describe('what the broker publishes, and where', () => {
  it('maps no management UI in the Marathon app unless managementHostPort asks for it', () => {
    // GIVEN a broker with default props, and one asking for the management UI
    const quiet = brokerStack({ target: 'marathon' }).marathon['broker.json'];
    const asked = brokerStack({ target: 'marathon', managementHostPort: 31672 }).marathon['broker.json'];
    // THEN only AMQP is mapped by default; the UI only when asked, on the port given
    const ports = (app: typeof quiet) =>
      (app.container as { portMappings: { containerPort: number; hostPort: number }[] }).portMappings.map((p) => [
        p.containerPort,
        p.hostPort,
      ]);
    expect(ports(quiet)).toEqual([[5672, 0]]);
    expect(ports(asked)).toEqual([
      [5672, 0],
      [15672, 31672],
    ]);
    expect(validate(quiet)).toEqual([]);
    expect(validate(asked)).toEqual([]);
  });

  it('binds published ports to 127.0.0.1 on the docker target, or to the hostAddress given', () => {
    const local = Object.values(
      resources(brokerStack({ amqpHostPort: 5672, managementHostPort: 15672 }).json, 'docker_container'),
    ).find((c) => c.name === 'broker')!;
    expect(local.ports).toEqual([
      { internal: 5672, external: 5672, ip: '127.0.0.1' },
      { internal: 15672, external: 15672, ip: '127.0.0.1' },
    ]);
    const lan = Object.values(
      resources(brokerStack({ amqpHostPort: 5672, hostAddress: '10.0.0.5' }).json, 'docker_container'),
    ).find((c) => c.name === 'broker')!;
    expect(lan.ports).toEqual([{ internal: 5672, external: 5672, ip: '10.0.0.5' }]);
  });

  it('publishes on swarm only when hostAddress says every address (its ingress cannot bind one)', () => {
    const { json } = brokerStack({ target: 'swarm', amqpHostPort: 5672, hostAddress: '0.0.0.0' });
    const service = Object.values(resources(json, 'docker_service')).find((s) => s.name === 'broker')!;
    expect(service.endpoint_spec).toEqual({ ports: [{ target_port: 5672, published_port: 5672, protocol: 'tcp' }] });
  });

  it.each<[string, BrokerProps, RegExp]>([
    [
      'a swarm port without hostAddress 0.0.0.0',
      { target: 'swarm', managementHostPort: 15672 },
      new RegExp(
        /Broker \(test\/broker\): invalid hostAddress "127\.0\.0\.1": /.source +
          /Swarm's ingress publishes a port on every address of every node/.source,
      ),
    ],
    [
      'a hostAddress that is not an IP address',
      { hostAddress: 'localhost; rm' },
      /Broker \(test\/broker\): invalid hostAddress "localhost; rm": use an IP address/,
    ],
  ])('rejects %s', (_what, props, message) => {
    let error = '';
    try {
      new Broker(testStack(), 'broker', props);
    } catch (err) {
      error = (err as Error).message;
    }
    expect(error).toMatch(message);
  });
});
