import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, TerraformStack } from 'cdktf';
import { Broker, WorkQueueWorker } from '../../../constructs';

/** The stack under test: a 3-node broker and a fleet of 2 workers on one queue. */
export const CLUSTER: {
  readonly stack: string;
  readonly queue: string;
  readonly nodes: readonly string[];
  readonly workers: number;
} = {
  stack: 'cluster',
  queue: 'queue',
  nodes: ['broker-0', 'broker-1', 'broker-2'],
  workers: 2,
};

export type ClusterTarget = 'docker' | 'swarm';

/** Synthesizes the cluster stack for `target` (in this process, as `cdktf synth` would); returns its stack dir. */
export function synthClusterStack(target: ClusterTarget): string {
  const outdir = mkdtempSync(join(tmpdir(), `wq-e2e-cluster-${target}-`));
  const app = new App({ outdir });
  const stack = new TerraformStack(app, CLUSTER.stack);
  const broker = new Broker(stack, 'broker', {
    name: 'broker',
    nodes: CLUSTER.nodes.length,
    queues: [CLUSTER.queue],
    target,
  });
  if (broker.hosts.join() !== CLUSTER.nodes.join())
    throw new Error(`the broker's nodes are ${broker.hosts.join(', ')}, the test expects ${CLUSTER.nodes.join(', ')}`);
  new WorkQueueWorker(stack, 'workers', { queue: CLUSTER.queue, broker, name: 'worker', instances: CLUSTER.workers });
  app.synth();
  return join(outdir, 'stacks', CLUSTER.stack);
}
