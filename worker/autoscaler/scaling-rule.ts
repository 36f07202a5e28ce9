/** KEDA's settings for one fleet, as the autoscaler's flags give them. */
export interface ScalingSettings {
  /** Messages one instance is meant to have waiting: desired = ceil(depth / this). */
  readonly messagesPerInstance: number;
  readonly min: number;
  readonly max: number;
  /** A fleet at 0 starts only when the depth is above this; at or below it the queue counts as idle. */
  readonly activation: number;
  /** Seconds the queue must stay idle before the fleet goes down to `min`. */
  readonly cooldownSeconds: number;
  /** Seconds over which a scale-down keeps the highest count recommended (no flapping). */
  readonly stabilizationSeconds: number;
}

/** What one evaluation sees. */
export interface Reading {
  readonly depth: number;
  /** The instances the fleet is set to now. */
  readonly current: number;
}

/** What a running controller remembers of earlier evaluations; nothing on a first (or --once) evaluation. */
export interface Memory {
  /** Seconds since the depth was last above the activation value; undefined: not since the controller started. */
  readonly secondsSinceActive?: number;
  /** The highest count recommended over the stabilization window (before this evaluation). */
  readonly windowHighest?: number;
}

export interface Decision {
  readonly desired: number;
  /** Why, in words, for the decision's log line. */
  readonly reason: string;
}

/**
 * KEDA's rule as a pure function. Active (depth > activation): ceil(depth / messagesPerInstance) within
 * max(min, 1)..max. Idle for the cooldown (or with nothing remembered): `min`. Idle within the cooldown:
 * a fleet at 0 stays there (it starts only when active), a running one follows the depth with at least
 * one instance. A scale-down, except the one to `min` after the cooldown (the cooldown is its own
 * stabilization), never goes below the highest count recommended over the stabilization window.
 */
export function decide(settings: ScalingSettings, reading: Reading, memory: Memory = {}): Decision {
  return stabilized(settings, reading, memory, recommend(settings, reading, memory));
}

/** The count the depth calls for, before stabilization; `toMin`: the idle fleet's step down to min. */
function recommend(s: ScalingSettings, { depth, current }: Reading, memory: Memory): Decision & { toMin?: true } {
  const idle = `depth ${depth} <= activation ${s.activation}`;
  if (depth > s.activation) return proportional(s, depth, `depth ${depth} > activation ${s.activation}`);
  const since = memory.secondsSinceActive;
  if (since === undefined || since >= s.cooldownSeconds) {
    const how =
      since === undefined
        ? 'no earlier reading above it'
        : `for ${Math.floor(since)} s (cooldown ${s.cooldownSeconds} s)`;
    return { desired: s.min, reason: `${idle} ${how}: min ${s.min}`, toMin: true };
  }
  const cooling = `cooldown ${Math.floor(since)} of ${s.cooldownSeconds} s`;
  if (current === 0) {
    return { desired: s.min, reason: `${idle} (${cooling}): a fleet at 0 starts only above the activation value` };
  }
  return proportional(s, depth, `${idle} (${cooling})`);
}

/** ceil(depth / messagesPerInstance) within max(min, 1)..max: a fleet with work keeps at least one instance. */
function proportional(s: ScalingSettings, depth: number, why: string): Decision {
  const wanted = Math.ceil(depth / s.messagesPerInstance);
  const floor = Math.max(s.min, 1);
  const desired = Math.min(Math.max(wanted, floor), s.max);
  const formula = `ceil(${depth}/${s.messagesPerInstance}) = ${wanted}`;
  const clamp = desired === wanted ? '' : desired === s.max ? `, clamped to max ${s.max}` : `, raised to ${floor}`;
  return { desired, reason: `${why}: ${formula}${clamp}` };
}

function stabilized(s: ScalingSettings, reading: Reading, memory: Memory, d: Decision & { toMin?: true }): Decision {
  const highest = memory.windowHighest;
  if (d.toMin || d.desired >= reading.current || highest === undefined || highest <= d.desired) {
    return { desired: d.desired, reason: d.reason };
  }
  const desired = Math.min(highest, reading.current);
  const window = `held at ${desired}: ${highest} was recommended within the last ${s.stabilizationSeconds} s`;
  return { desired, reason: `${d.reason}; ${window}` };
}

/**
 * The rule with a running controller's memory: when the depth was last above the activation value,
 * and the counts recommended over the stabilization window.
 */
export class ScalingRule {
  private lastActiveMs?: number;
  private readonly recommended: { atMs: number; desired: number }[] = [];

  /**
   * `coolingSinceMs`: counts as the last activity until a reading shows one, so that a controller that
   * starts beside a running fleet waits a cooldown before taking it down to min (it has not seen the
   * depth before). Undefined (--once): the first evaluation acts on its reading alone.
   */
  constructor(
    private readonly settings: ScalingSettings,
    coolingSinceMs?: number,
  ) {
    this.lastActiveMs = coolingSinceMs;
  }

  /** Decides for `reading` at `nowMs` and remembers what it saw. */
  evaluate(reading: Reading, nowMs: number): Decision {
    const windowStart = nowMs - this.settings.stabilizationSeconds * 1000;
    while (this.recommended.length && this.recommended[0].atMs < windowStart) this.recommended.shift();
    const memory: Memory = {
      secondsSinceActive: this.lastActiveMs === undefined ? undefined : (nowMs - this.lastActiveMs) / 1000,
      windowHighest: this.recommended.length ? Math.max(...this.recommended.map((r) => r.desired)) : undefined,
    };
    const raw = recommend(this.settings, reading, memory);
    if (reading.depth > this.settings.activation) this.lastActiveMs = nowMs;
    // The recommendation before stabilization is what the window keeps, as Kubernetes' HPA does.
    this.recommended.push({ atMs: nowMs, desired: raw.desired });
    return stabilized(this.settings, reading, memory, raw);
  }
}
