import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { Broker } from './broker';
import { checkTarget, type Target } from './target';
import { WorkQueueWorker } from './work-queue-worker';

/** What the default stack lets users set without editing code. */
export interface DefaultStackSettings {
  /** Image tag of both images. @default - 'latest' for Docker/Swarm, {{TAG}} in Marathon apps */
  readonly tag?: string;
  /** Queue of the worker fleet. @default 'queue' */
  readonly queue?: string;
  /** Worker instances. @default 1 */
  readonly instances?: number;
  /** Broker nodes: 1, or an odd number of at least 3 in one cluster. @default 1 */
  readonly nodes?: number;
  /** Where it runs. @default 'docker' */
  readonly target?: Target;
}

/**
 * Reads the settings from cdktf context (cdktf.json "context", or CDKTF_CONTEXT_JSON) first,
 * then from WQ_TAG, WQ_QUEUE, WQ_INSTANCES, WQ_NODES and WQ_TARGET.
 */
export function defaultStackSettings(scope: Construct, env: NodeJS.ProcessEnv = process.env): DefaultStackSettings {
  const get = (key: string, envName: string): string | undefined => {
    const fromContext = scope.node.tryGetContext(key) as unknown;
    return fromContext !== undefined ? String(fromContext) : env[envName] || undefined;
  };
  const instances = get('instances', 'WQ_INSTANCES');
  const nodes = get('nodes', 'WQ_NODES');
  const target = get('target', 'WQ_TARGET');
  for (const [key, envName, value] of [
    ['instances', 'WQ_INSTANCES', instances],
    ['nodes', 'WQ_NODES', nodes],
  ] as const) {
    if (value !== undefined && !/^\d+$/.test(value)) {
      throw new Error(
        `default stack: invalid ${key} '${value}' (${envName} or context "${key}"): ` +
          `use a whole number, e.g. ${envName}=3`,
      );
    }
  }
  return {
    tag: get('tag', 'WQ_TAG'),
    queue: get('queue', 'WQ_QUEUE'),
    instances: instances === undefined ? undefined : Number(instances),
    nodes: nodes === undefined ? undefined : Number(nodes),
    target: target === undefined ? undefined : checkTarget('default stack (WQ_TARGET or context "target")', target),
  };
}

/** The sample's system: broker 'broker', and workers running `process-message /tmp` on one queue. */
export class DefaultStack extends TerraformStack {
  readonly broker: Broker;
  readonly workers: WorkQueueWorker;

  constructor(scope: Construct, id: string, settings: DefaultStackSettings = {}) {
    super(scope, id);
    const queue = settings.queue ?? 'queue';
    this.broker = new Broker(this, 'broker', {
      name: 'broker',
      queues: [queue],
      nodes: settings.nodes,
      imageTag: settings.tag,
      target: settings.target,
    });
    this.workers = new WorkQueueWorker(this, 'workers', {
      queue,
      broker: this.broker,
      name: 'worker',
      instances: settings.instances ?? 1,
      imageTag: settings.tag,
    });
  }
}
