import { Construct } from 'constructs';
import { Broker, TARGETS, WorkQueueWorker, type Target } from '../constructs';
import { RENDERERS, type TargetRenderer } from '../constructs/targets';
import { testStack } from './helpers/synth';

describe('one renderer per target', () => {
  it('finds a renderer for every target', () => {
    for (const target of TARGETS) expect(RENDERERS[target]).toBeDefined();
    expect(Object.keys(RENDERERS).sort()).toEqual([...TARGETS].sort());
  });

  it('does not compile a target without a renderer (checked by tsc --noEmit)', () => {
    // A fourth target added to the union, and no renderer written for it: the Record refuses the table.
    type WithAnother = Target | 'nomad';
    // @ts-expect-error Property 'nomad' is missing in type: the renderer table must name every target
    const table: Record<WithAnother, TargetRenderer> = { ...RENDERERS };
    expect(Object.keys(table)).not.toContain('nomad');
  });
});

describe('construction errors name the construct path', () => {
  /** The message of what `build` throws in a fresh stack. */
  const thrown = (build: (stack: Construct) => void): string => {
    try {
      build(testStack());
    } catch (e) {
      return (e as Error).message;
    }
    throw new Error('nothing was thrown');
  };

  it.each([
    ['a worker prop', (s: Construct) => new WorkQueueWorker(s, 'w', { queue: 'jobs', broker: 'amqp://h', cpus: 0 })],
    [
      'a worker target',
      (s: Construct) => new WorkQueueWorker(s, 'w', { queue: 'jobs', broker: 'amqp://h', target: 'k8s' as Target }),
    ],
    [
      'a worker secret',
      (s: Construct) => new WorkQueueWorker(s, 'w', { queue: 'jobs', broker: 'amqp://h', secretEnv: { K: 'plain' } }),
    ],
    ['a broker prop', (s: Construct) => new Broker(s, 'w', { nodes: 2 })],
    ['a broker target', (s: Construct) => new Broker(s, 'w', { target: 'k8s' as Target })],
    ['a kubernetes name', (s: Construct) => new Broker(s, 'w', { name: 'rabbit.mq', target: 'kubernetes' })],
    [
      'a kubernetes-only prop elsewhere',
      (s: Construct) =>
        new WorkQueueWorker(s, 'w', {
          queue: 'jobs',
          broker: 'amqp://h',
          autoscale: { min: 0, max: 2, messagesPerInstance: 5 },
        }),
    ],
  ])('%s, so two fleets of one stack can be told apart', (_what, make) => {
    const inTeam = (team: string) => (stack: Construct) => make(new Construct(stack, team));
    expect(thrown(inTeam('media'))).toMatch(/^(WorkQueueWorker|Broker) \(test\/media\/w\): invalid /);
    expect(thrown(inTeam('mail'))).toMatch(/^(WorkQueueWorker|Broker) \(test\/mail\/w\): invalid /);
  });
});
