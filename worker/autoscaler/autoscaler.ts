import { sleep } from '../broker/backoff';
import { errorText, type Logger } from '../observability/logger';
import type { AutoscalerMetrics, FailedStage } from './autoscaler-metrics';
import type { Fleet } from './fleet';
import type { Depth } from './queue-depth';
import type { ScalingRule } from './scaling-rule';

export interface AutoscalerParts {
  readonly depth: { read(): Promise<Depth> };
  readonly fleet: Fleet;
  readonly rule: ScalingRule;
  readonly metrics: AutoscalerMetrics;
  readonly log: Logger;
}

/** The controller: reads the depth and the fleet, decides by the rule, and makes at most one scaling call. */
export class Autoscaler {
  private succeeded = false;

  constructor(private readonly parts: AutoscalerParts) {}

  /** True while the last evaluation read the depth and the fleet and made the call it decided on. */
  healthy(): boolean {
    return this.succeeded;
  }

  /** One evaluation: one log line with depth, current, desired and why; throws when a stage failed. */
  async evaluate(nowMs = Date.now()): Promise<void> {
    const { fleet, rule, metrics, log } = this.parts;
    this.succeeded = false;
    const { depth, source } = await this.stage('depth', () => this.parts.depth.read());
    metrics.queueDepth.set(depth);
    const current = await this.stage('platform', () => fleet.current());
    metrics.currentReplicas.set(current);
    const { desired, reason } = rule.evaluate({ depth, current }, nowMs);
    metrics.desiredReplicas.set(desired);
    const direction = desired > current ? 'up' : 'down';
    const action = desired === current ? 'no change' : `scaling ${fleet.name} ${direction}`;
    log.info(`depth ${depth} (${source}), current ${current}, desired ${desired}: ${reason}; ${action}`);
    if (desired !== current) {
      await this.stage('platform', () => fleet.scale(desired));
      metrics.scalingCalls.inc({ direction });
    }
    this.succeeded = true;
  }

  /**
   * Evaluates every `intervalMs` until `signal` aborts. A failed evaluation is logged and counted, and
   * the next interval tries again: a controller outlives a broker or platform that is away for a while.
   */
  async run(intervalMs: number, signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      try {
        await this.evaluate();
      } catch (err) {
        if (signal.aborted) break; // stopped while connecting: not a failure to report
        this.parts.log.error(`${errorText(err)}; trying again in ${intervalMs / 1000} s`);
      }
      await sleep(intervalMs, signal);
    }
  }

  /** Runs one stage; a failure is counted under its stage and goes on to the caller. */
  private async stage<T>(stage: FailedStage, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      this.parts.metrics.errors.inc({ stage });
      throw err;
    }
  }
}
