import { Counter, Gauge, Registry, collectDefaultMetrics } from '../observability/prometheus';

/** Where an evaluation failed: reading the queue's depth, or reading or scaling the fleet. */
export type FailedStage = 'depth' | 'platform';

/** The autoscaler's Prometheus metrics, in a registry of its own; the names are what dashboards query. */
export class AutoscalerMetrics {
  readonly registry = new Registry();
  readonly queueDepth: Gauge;
  readonly currentReplicas: Gauge;
  readonly desiredReplicas: Gauge;
  readonly scalingCalls: Counter<'direction'>;
  readonly errors: Counter<'stage'>;

  constructor(queue: string) {
    this.registry.setDefaultLabels({ queue });
    const registers = [this.registry];
    this.queueDepth = new Gauge({
      name: 'workqueue_autoscaler_queue_depth',
      help: 'Messages the last evaluation counted: ready + unacked from the management API, else ready.',
      registers,
    });
    this.currentReplicas = new Gauge({
      name: 'workqueue_autoscaler_current_replicas',
      help: 'Instances the fleet was set to at the last evaluation.',
      registers,
    });
    this.desiredReplicas = new Gauge({
      name: 'workqueue_autoscaler_desired_replicas',
      help: 'Instances the last evaluation decided on.',
      registers,
    });
    this.scalingCalls = new Counter({
      name: 'workqueue_autoscaler_scaling_calls_total',
      help: 'Scaling calls the platform accepted, by direction (up or down).',
      labelNames: ['direction'],
      registers,
    });
    this.errors = new Counter({
      name: 'workqueue_autoscaler_errors_total',
      help: 'Evaluations that failed, by stage: depth (broker or management API) or platform (Marathon, Docker).',
      labelNames: ['stage'],
      registers,
    });
    // Both series exist from the start, so that alerts on increase() see the first failure.
    for (const direction of ['up', 'down']) this.scalingCalls.inc({ direction }, 0);
    for (const stage of ['depth', 'platform'] satisfies FailedStage[]) this.errors.inc({ stage }, 0);
    collectDefaultMetrics({ register: this.registry });
  }
}
