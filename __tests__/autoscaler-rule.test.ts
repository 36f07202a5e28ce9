import { ScalingRule, decide, type ScalingSettings } from '../worker/autoscaler/scaling-rule';

/** One instance per 50 messages, 0 to 4, five minutes of cooldown and stabilization: the e2e fleet. */
const FLEET: ScalingSettings = {
  messagesPerInstance: 50,
  min: 0,
  max: 4,
  activation: 0,
  cooldownSeconds: 300,
  stabilizationSeconds: 300,
};

describe("KEDA's rule (decide)", () => {
  // Columns: what the case shows, settings changed from FLEET, depth, current count, seconds since the depth
  // was last above the activation value (undefined: nothing remembered), highest count of the window, desired.
  it.each<[string, Partial<ScalingSettings>, number, number, number | undefined, number | undefined, number]>([
    ['an idle fleet at 0 stays there', {}, 0, 0, undefined, undefined, 0],
    ['one message starts a fleet at 0', {}, 1, 0, undefined, undefined, 1],
    ['ceil(depth / messages per instance)', {}, 120, 0, 0, undefined, 3],
    ['exactly 100 messages: two instances', {}, 100, 1, 0, undefined, 2],
    ['clamped to --max', {}, 5000, 1, 0, undefined, 4],
    ['raised to --min', { min: 2 }, 1, 0, 0, undefined, 2],
    ['a fleet below --min goes up to it when idle', { min: 2 }, 0, 0, undefined, undefined, 2],
    ['activation: at the value a fleet at 0 stays', { activation: 10 }, 10, 0, 60, undefined, 0],
    ['activation: above the value it starts', { activation: 10 }, 11, 0, 60, undefined, 1],
    ['activation: below the value a running fleet follows the depth', { activation: 10 }, 10, 2, 60, undefined, 1],
    ['cooldown: idle 100 of 300 s keeps one instance', {}, 0, 3, 100, undefined, 1],
    ['cooldown: idle 299 of 300 s still keeps one', {}, 0, 3, 299, undefined, 1],
    ['cooldown: idle 300 s goes down to --min', {}, 0, 3, 300, undefined, 0],
    ['cooldown over: down to --min 1, not 0', { min: 1 }, 0, 3, 400, undefined, 1],
    ['cooldown over: the window does not hold the step to --min', {}, 0, 4, 300, 4, 0],
    ['nothing remembered (--once): acts on the reading', {}, 0, 3, undefined, undefined, 0],
    ['no flapping: a scale-down keeps the window highest', {}, 20, 3, 0, 3, 3],
    ['no flapping: never above the current count', {}, 20, 2, 0, 4, 2],
    ['the window allows a partial scale-down', {}, 20, 4, 0, 2, 2],
    ['the window never holds a scale-up back', {}, 200, 1, 0, 2, 4],
  ])('%s', (_what, changed, depth, current, secondsSinceActive, windowHighest, desired) => {
    // GIVEN the fleet's settings, a reading and what a controller remembers
    const settings = { ...FLEET, ...changed };
    // WHEN the rule decides
    const decision = decide(settings, { depth, current }, { secondsSinceActive, windowHighest });
    // THEN it wants the expected count, and says why with the depth in it
    expect(decision.desired).toBe(desired);
    expect(decision.reason).toContain(`depth ${depth}`);
  });
});

/** Runs `rule` over depths read every `everySeconds`, the fleet set to each decision; the counts decided. */
function run(rule: ScalingRule, depths: readonly number[], everySeconds: number, start = 0): number[] {
  let current = start;
  return depths.map((depth, i) => (current = rule.evaluate({ depth, current }, i * everySeconds * 1000).desired));
}

describe('the rule in a running controller (ScalingRule)', () => {
  it('does not flap on a depth that comes and goes', () => {
    // GIVEN a controller evaluating every 30 s
    const rule = new ScalingRule(FLEET);
    // WHEN the depth swings between 120 (3 instances) and 20 (1 instance)
    const counts = run(rule, [120, 20, 120, 20, 120, 20], 30);
    // THEN the fleet goes up to 3 once and stays there
    expect(counts).toEqual([3, 3, 3, 3, 3, 3]);
  });

  it('scales up at once, holds through the cooldown, then goes to 0', () => {
    // GIVEN an idle fleet at 0 and a controller evaluating every 30 s
    const rule = new ScalingRule(FLEET);
    // WHEN 500 messages arrive, are drained, and the queue stays empty for more than the cooldown
    const counts = run(rule, [0, 500, ...Array<number>(11).fill(0)], 30);
    // THEN 0, up to the max, held for the 300 s of cooldown after the last busy reading, then 0
    expect(counts).toEqual([0, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 0, 0]);
  });

  it('starts the cooldown again when the depth rises above the activation value', () => {
    // GIVEN a fleet of 2 after a busy spell
    const rule = new ScalingRule({ ...FLEET, activation: 5 });
    // WHEN the queue is idle, gets 80 messages after 240 s, and is idle again
    const counts = run(rule, [100, 0, 0, 0, 0, 80, 0, 0, 0, 0, 0, 0, 0], 60);
    // THEN the fleet is held at 2 until 300 s after the second busy reading, then goes to 0
    expect(counts).toEqual([2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 0, 0, 0]);
  });

  it('lets a scale-down through once the higher counts left the stabilization window', () => {
    // GIVEN a short stabilization window of 60 s and a long cooldown
    const rule = new ScalingRule({ ...FLEET, stabilizationSeconds: 60, cooldownSeconds: 3600 });
    // WHEN the depth falls from 200 to 60 and stays there
    const counts = run(rule, [200, 60, 60, 60, 60], 30);
    // THEN 4 is kept while it is within the last 60 s, then the fleet goes to 2
    expect(counts).toEqual([4, 4, 4, 2, 2]);
  });

  it('waits a cooldown before taking a fleet it found running down to --min', () => {
    // GIVEN a controller started at 0 s beside a running fleet of 3, the queue empty
    const rule = new ScalingRule({ ...FLEET, stabilizationSeconds: 0 }, 0);
    // WHEN it evaluates every 100 s
    const counts = run(rule, [0, 0, 0, 0], 100, 3);
    // THEN it keeps one instance until the cooldown has passed since its start, then goes to 0
    expect(counts).toEqual([1, 1, 1, 0]);
  });
});
