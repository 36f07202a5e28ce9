import { managementApi } from '../broker/management-api';
import { HelpRequested } from '../command-line/flags';
import { MarathonClient } from '../marathon/marathon-client';
import { serveHealth } from '../observability/health-server';
import { createLogger } from '../observability/logger';
import { Redactor } from '../observability/redact';
import { AUTOSCALER_HELP } from './autoscaler-help';
import { AutoscalerMetrics } from './autoscaler-metrics';
import { parseAutoscalerArgs, type Platform } from './autoscaler-options';
import { Autoscaler } from './autoscaler';
import { DockerEngine, dockerSocket } from './docker-engine';
import type { Fleet } from './fleet';
import { MarathonScaler } from './marathon-scaler';
import { QueueDepth } from './queue-depth';
import { ScalingRule } from './scaling-rule';
import { SwarmScaler } from './swarm-scaler';

export const PROGRAM = 'workqueue-autoscaler';

/** Runs the workqueue-autoscaler command line; resolves the exit status. */
export async function main(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<number> {
  let options;
  try {
    options = parseAutoscalerArgs(argv, env);
  } catch (err) {
    if (!(err instanceof HelpRequested)) throw err;
    process.stdout.write(AUTOSCALER_HELP);
    return 0;
  }
  const { urls, queue, management, platform } = options;
  const api = management === undefined ? undefined : managementApi('--management', management, urls[0]);
  const fleet = fleetOf(platform, env);
  const redactor = new Redactor(...urls, management ?? '', env.MARATHON_URL ?? '');
  const log = createLogger(redactor, process.stderr, PROGRAM);
  const metrics = new AutoscalerMetrics(queue);
  const stop = new AbortController();
  const depth = new QueueDepth(urls, options.brokers, queue, api, log, stop.signal);
  // A running controller waits a cooldown before taking a fleet it found running down to --min.
  const rule = new ScalingRule(options.rule, options.once ? undefined : Date.now());
  const autoscaler = new Autoscaler({ depth, fleet, rule, metrics, log });

  const health = await serveHealth(
    options.healthPort,
    { healthy: () => autoscaler.healthy(), registry: metrics.registry, unhealthyText: 'the last evaluation failed' },
    log,
  );
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      log.info(`${signal} received: stopping`);
      stop.abort();
    });
  }
  try {
    if (options.once) {
      await autoscaler.evaluate();
      return 0;
    }
    const { messagesPerInstance, min, max } = options.rule;
    log.info(
      `scaling ${fleet.name} on queue '${queue}' every ${options.intervalSeconds} s: ` +
        `1 instance per ${messagesPerInstance} messages, ${min} to ${max}`,
    );
    await autoscaler.run(options.intervalSeconds * 1000, stop.signal);
    return 0;
  } finally {
    await depth.close();
    await health?.close();
  }
}

function fleetOf(platform: Platform, env: NodeJS.ProcessEnv): Fleet {
  if (platform.kind === 'swarm') return new SwarmScaler(new DockerEngine(dockerSocket(env)), platform.service);
  // No --force here: the 409 answer does not suggest one.
  return new MarathonScaler(MarathonClient.fromFlags(platform.marathon, env, false), platform.app);
}
