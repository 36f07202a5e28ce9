import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from './prometheus';

/** The worker's Prometheus metrics, in a registry of its own. */
export class WorkerMetrics {
  readonly registry = new Registry();
  readonly succeeded: Counter;
  readonly failed: Counter;
  readonly deadLettered: Counter;
  /** Attempts running now; the in-flight gauge reads it when scraped, not a Gauge.inc/dec (allocations) per message. */
  inFlight = 0;
  readonly processingSeconds: Histogram;
  readonly reconnects: Counter;
  private readonly broker: Gauge;

  constructor(queue: string) {
    this.registry.setDefaultLabels({ queue });
    const registers = [this.registry];
    this.succeeded = new Counter({
      name: 'workqueue_messages_succeeded_total',
      help: 'Messages whose program exited 0 and that were acked.',
      registers,
    });
    this.failed = new Counter({
      name: 'workqueue_messages_failed_total',
      help: 'Failed attempts (non-zero exit, signal, timeout, program not startable).',
      registers,
    });
    this.deadLettered = new Counter({
      name: 'workqueue_messages_dead_lettered_total',
      help: 'Messages moved to the dead-letter queue after their last allowed attempt.',
      registers,
    });
    const inFlight: Gauge = new Gauge({
      name: 'workqueue_messages_in_flight',
      help: 'Programs running now.',
      registers,
      collect: () => inFlight.set(this.inFlight),
    });
    this.processingSeconds = new Histogram({
      name: 'workqueue_processing_seconds',
      help: 'Time from program start to its end, per attempt.',
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
      registers,
    });
    this.reconnects = new Counter({
      name: 'workqueue_reconnects_total',
      help: 'Connections re-established after the broker link was lost.',
      registers,
    });
    this.broker = new Gauge({
      name: 'workqueue_broker_connected',
      help: 'Set to 1 for the broker URL consumed from now, secrets shown as ***; no series while disconnected.',
      labelNames: ['url'],
      registers,
    });
    collectDefaultMetrics({ register: this.registry });
  }

  /** Records where the worker is connected; `url` must already be redacted. undefined: not connected. */
  connectedTo(url: string | undefined): void {
    this.broker.reset();
    if (url !== undefined) this.broker.set({ url }, 1);
  }
}
