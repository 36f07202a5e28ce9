import { appendFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
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
  const broker = new Broker(stack, 'broker', { name: 'broker', queues: [CLUSTER.queue], target });
  new WorkQueueWorker(stack, 'workers', { queue: CLUSTER.queue, broker, name: 'worker', instances: CLUSTER.workers });
  app.synth();
  const dir = join(outdir, 'stacks', CLUSTER.stack);
  clusterByHand(dir, target);
  return dir;
}

type Json = Record<string, unknown>;
type Plan = { resource: Record<string, Record<string, Json>> };

/**
 * STAND-IN, until `Broker({ nodes: 3 })` exists: turns the synthesized single-node plan into what the
 * shared contract (issue 13) says the construct will synthesize, so the driver, the test and the image can
 * be tried first. Nodes broker-0..2 (container or service, hostname = name = alias, volume broker-data-i),
 * RABBITMQ_NODENAME rabbit@broker-i, the Erlang cookie from a random_password in WQ_ERLANG_COOKIE, the
 * workers' AMQP_URL one URL per node; in the image, classic_config peer discovery of the three nodes,
 * membership reconciliation to 3, x-quorum-initial-group-size 3 and an entrypoint step that writes
 * .erlang.cookie. On Swarm the broker services resolve by DNS round robin (e2e-findings: no VIP).
 */
function clusterByHand(dir: string, target: ClusterTarget): void {
  const file = join(dir, 'cdk.tf.json');
  const plan = JSON.parse(readFileSync(file, 'utf8')) as Plan;
  const r = plan.resource;
  const only = (type: string, prefix: string): [string, Json] => {
    const found = Object.entries(r[type] ?? {}).filter(([k]) => k.startsWith(prefix));
    if (found.length !== 1) throw new Error(`cluster by hand: expected one ${type} ${prefix}*, found ${found.length}`);
    return found[0];
  };
  const cookie = 'broker_erlang-cookie_byhand';
  r.random_password[cookie] = { length: 48, special: false };
  const [volumeKey] = only('docker_volume', 'broker_data');
  delete r.docker_volume[volumeKey];
  CLUSTER.nodes.forEach((_n, i) => (r.docker_volume[`broker_data-${i}_byhand`] = { name: `broker-data-${i}` }));
  const volumeRef = (i: number) => `\${docker_volume.broker_data-${i}_byhand.name}`;
  const extraEnv = (i: number): Record<string, string> => ({
    WQ_ERLANG_COOKIE: `\${random_password.${cookie}.result}`,
    RABBITMQ_NODENAME: `rabbit@${CLUSTER.nodes[i]}`,
  });
  const urls = (url: string) => CLUSTER.nodes.map((n) => url.replace('@broker:5672/', `@${n}:5672/`)).join(',');

  if (target === 'docker') {
    const [key, block] = only('docker_container', 'broker_container');
    delete r.docker_container[key];
    CLUSTER.nodes.forEach((node, i) => {
      r.docker_container[`broker_container-${i}_byhand`] = {
        ...block,
        name: node,
        hostname: node,
        env: [...(block.env as string[]), ...Object.entries(extraEnv(i)).map(([k, v]) => `${k}=${v}`)],
        networks_advanced: (block.networks_advanced as Json[]).map((n) => ({ ...n, aliases: [node] })),
        volumes: [{ container_path: '/var/lib/rabbitmq', volume_name: volumeRef(i) }],
      };
    });
    const [, workers] = only('docker_container', 'workers_container');
    const prefix = 'AMQP_URL=';
    workers.env = (workers.env as string[]).map((e) =>
      e.startsWith(prefix) ? prefix + urls(e.slice(prefix.length)) : e,
    );
  } else {
    const [key, block] = only('docker_service', 'broker_service');
    delete r.docker_service[key];
    const task = block.task_spec as Json;
    const spec = task.container_spec as Json;
    CLUSTER.nodes.forEach((node, i) => {
      r.docker_service[`broker_service-${i}_byhand`] = {
        ...block,
        name: node,
        task_spec: {
          ...task,
          container_spec: {
            ...spec,
            hostname: node,
            env: { ...(spec.env as Record<string, string>), ...extraEnv(i) },
            mounts: [{ source: volumeRef(i), target: '/var/lib/rabbitmq', type: 'volume' }],
          },
          networks_advanced: (task.networks_advanced as Json[]).map((n) => ({ ...n, aliases: [node] })),
        },
        endpoint_spec: { mode: 'dnsrr' },
      };
    });
    const [, workers] = only('docker_service', 'workers_service');
    const env = (workers.task_spec as { container_spec: { env: Record<string, string> } }).container_spec.env;
    env.AMQP_URL = urls(env.AMQP_URL);
  }
  writeFileSync(file, `${JSON.stringify(plan, null, 2)}\n`);

  // The broker image's context (a copy cdktf made for this synth): cluster configuration and the cookie step.
  const [, image] = only('docker_image', 'broker_image');
  const context = join(dir, (image.build as { context: string }).context);
  appendFileSync(
    join(context, 'rabbitmq.conf'),
    [
      'cluster_formation.peer_discovery_backend = classic_config',
      ...CLUSTER.nodes.map((n, i) => `cluster_formation.classic_config.nodes.${i + 1} = rabbit@${n}`),
      'quorum_queue.continuous_membership_reconciliation.enabled = true',
      `quorum_queue.continuous_membership_reconciliation.target_group_size = ${CLUSTER.nodes.length}`,
      '',
    ].join('\n'),
  );
  const definitions = JSON.parse(readFileSync(join(context, 'definitions.json'), 'utf8')) as {
    queues: { arguments: Record<string, unknown> }[];
  };
  for (const q of definitions.queues) q.arguments['x-quorum-initial-group-size'] = CLUSTER.nodes.length;
  writeFileSync(join(context, 'definitions.json'), `${JSON.stringify(definitions, null, 2)}\n`);
  writeFileSync(
    join(context, 'cookie-entrypoint'),
    [
      '#!/bin/sh',
      'set -eu',
      'f=/var/lib/rabbitmq/.erlang.cookie',
      'rm -f "$f"',
      '(umask 0277 && printf %s "$WQ_ERLANG_COOKIE" >"$f")',
      'chown rabbitmq:rabbitmq "$f"',
      'unset WQ_ERLANG_COOKIE',
      'exec /usr/local/bin/workqueue-broker-entrypoint "$@"',
      '',
    ].join('\n'),
    { mode: 0o755 },
  );
  appendFileSync(
    join(context, 'Dockerfile'),
    [
      'COPY cookie-entrypoint /usr/local/bin/cookie-entrypoint',
      'ENTRYPOINT ["/usr/local/bin/cookie-entrypoint"]',
      'CMD ["rabbitmq-server"]',
      '',
    ].join('\n'),
  );
  if (!readdirSync(context).includes('workqueue-broker-entrypoint'))
    throw new Error('cluster by hand: the broker context has no workqueue-broker-entrypoint');
}
