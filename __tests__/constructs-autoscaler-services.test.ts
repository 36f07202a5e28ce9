import { Broker, WorkQueueWorker, type Target } from '../constructs';
import { marathonValidator } from './helpers/marathon-schema';
import { resources, synthesize } from './helpers/synth';

const validate = marathonValidator();
const scale = { min: 0, max: 4, messagesPerInstance: 50, cooldownSeconds: 60, pollingSeconds: 5 };

/** A broker declaring 'jobs' and a fleet on it scaled by `scale`, on `target`, synthesized. */
function autoscaled(target: Target) {
  return synthesize((stack) => {
    const broker = new Broker(stack, 'broker', { queues: ['jobs'], target });
    new WorkQueueWorker(stack, 'workers', { queue: 'jobs', broker, autoscale: scale });
  });
}

/** The autoscaler's arguments every platform shares, from the prop. */
const ruleArgs = [
  ...['-q', 'jobs', '--min', '0', '--max', '4', '--messages-per-instance', '50'],
  ...['--activation', '0', '--cooldown', '60', '--interval', '5', '--health-port', '8080'],
];

describe('autoscale on swarm: a workqueue-autoscaler service beside the fleet', () => {
  const { json } = autoscaled('swarm');
  const services = Object.values(resources(json, 'docker_service'));
  const fleet = services.find((s) => s.name === 'jobs-worker')!;
  const autoscaler = services.find((s) => s.name === 'jobs-worker-autoscaler')!;
  type Spec = {
    container_spec: Record<string, unknown> & { mounts: unknown[] };
    placement: { constraints: string[] };
  };
  const spec = autoscaler.task_spec as Spec;

  it('runs the worker image with the autoscaler as its command, scaling the fleet by its service name', () => {
    // GIVEN autoscale { min 0, max 4, 50 per instance } WHEN synthesized for swarm
    // THEN the autoscaler service runs the same image, with the rule's flags and --swarm-service jobs-worker
    expect(spec.container_spec.image).toBe((fleet.task_spec as Spec).container_spec.image);
    expect(spec.container_spec.command).toEqual(['/usr/local/bin/workqueue-autoscaler']);
    expect(spec.container_spec.args).toEqual([...ruleArgs, '--swarm-service', 'jobs-worker']);
    expect((spec.container_spec.env as Record<string, string>).AMQP_URL).toMatch(/^amqp:\/\/workqueue-worker:\$\{/);
  });

  it("reaches the Docker engine of a manager node through its socket, as root (the socket's owner)", () => {
    expect(spec.placement.constraints).toEqual(['node.role == manager']);
    expect(spec.container_spec.mounts).toEqual([
      { target: '/var/run/docker.sock', source: '/var/run/docker.sock', type: 'bind' },
    ]);
    expect(spec.container_spec.user).toBe('root');
    expect(autoscaler.mode).toEqual({ replicated: { replicas: 1 } });
  });

  it('starts the fleet at min, and a later apply leaves the count the autoscaler set', () => {
    expect(fleet.mode).toEqual({ replicated: { replicas: 0 } });
    expect(fleet.lifecycle).toEqual({ ignore_changes: ['mode[0].replicated[0].replicas'] });
  });
});

describe('autoscale on marathon: a workqueue-autoscaler app beside the fleet', () => {
  const { marathon } = autoscaled('marathon');
  const app = marathon['jobs-worker-autoscaler.json'] as unknown as Record<string, unknown> & {
    container: { docker: { parameters: unknown[] } };
    env: Record<string, string>;
  };

  it("passes Marathon's own app schema, and the fleet's app starts at min", () => {
    expect(validate(app)).toEqual([]);
    expect(marathon['jobs-worker.json'].instances).toBe(0);
  });

  it('finds the broker as the fleet does, and scales the fleet app with deploy-time credentials', () => {
    // GIVEN autoscale on a Marathon fleet WHEN synthesized
    // THEN the app overrides the image's entrypoint, finds the broker app by name (-b), and scales /jobs-worker
    expect(app.container.docker.parameters).toEqual([
      { key: 'entrypoint', value: '/usr/local/bin/workqueue-autoscaler' },
    ]);
    expect(app.args).toEqual(['-b', 'broker', ...ruleArgs, '--app', '/jobs-worker']);
    // AND Marathon's URL and token are placeholders `workqueue deploy` fills, never values in the file
    expect(app.env).toEqual({
      AMQP_URL: 'amqp://workqueue-worker:{{WORKER_PASSWORD}}@broker:5672/',
      MARATHON_URL: '{{MARATHON_URL}}',
      MARATHON_TOKEN: '{{MARATHON_TOKEN}}',
    });
    expect(app.dependencies).toEqual(['/jobs-worker']);
  });
});
