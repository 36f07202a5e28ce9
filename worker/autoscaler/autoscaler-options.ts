import { checkBrokerUrls } from '../broker/login';
import { UsageError } from '../command-line/errors';
import { parseFlags, text, type FlagSpec } from '../command-line/flags';
import { checkBrokerNames, givenBrokerUrls } from '../consumer/options';
import { numberProblem, wholeNumberProblem } from '../consumer/number-rules';
import { queueNameProblem } from '../consumer/queue-names';
import { printable } from '../observability/printable';
import type { ScalingSettings } from './scaling-rule';

/** The fleet the autoscaler scales. */
export type Platform =
  | { readonly kind: 'marathon'; readonly marathon?: string; readonly app: string }
  | { readonly kind: 'swarm'; readonly service: string };

export interface AutoscalerOptions {
  readonly urls: readonly string[];
  /** --broker names found by discovery (Marathon, Mesos-DNS), as the worker's; the URL gives the login. */
  readonly brokers: readonly string[];
  readonly queue: string;
  readonly intervalSeconds: number;
  /** RabbitMQ's management API base URL; undefined: depth from a passive declare. */
  readonly management?: string;
  readonly rule: ScalingSettings;
  readonly platform: Platform;
  readonly once: boolean;
  readonly healthPort?: number;
}

export const DEFAULT_INTERVAL_SECONDS = 30;
export const DEFAULT_ACTIVATION = 0;
export const DEFAULT_COOLDOWN_SECONDS = 300;

/** How the command's messages name it: its errors already start with 'workqueue-autoscaler: error: '. */
const NAMING = { prefix: '', help: 'workqueue-autoscaler --help' };

const FLAGS: readonly FlagSpec[] = [
  { names: ['-u', '--url'], key: 'url', value: true },
  { names: ['-b', '--broker'], key: 'broker', value: true },
  { names: ['-q', '--queue'], key: 'queue', value: true },
  { names: ['--interval'], key: 'interval', value: true },
  { names: ['--management'], key: 'management', value: true },
  { names: ['--messages-per-instance'], key: 'messagesPerInstance', value: true },
  { names: ['--min'], key: 'min', value: true },
  { names: ['--max'], key: 'max', value: true },
  { names: ['--activation'], key: 'activation', value: true },
  { names: ['--cooldown'], key: 'cooldown', value: true },
  { names: ['--stabilization'], key: 'stabilization', value: true },
  { names: ['--marathon'], key: 'marathon', value: true },
  { names: ['--app'], key: 'app', value: true },
  { names: ['--swarm-service'], key: 'swarmService', value: true },
  { names: ['--once'], key: 'once', value: false },
  { names: ['--health-port'], key: 'healthPort', value: true },
];

/** Reads and checks the command line; throws UsageError naming the bad flag, HelpRequested for -h. */
export function parseAutoscalerArgs(argv: readonly string[], env: NodeJS.ProcessEnv): AutoscalerOptions {
  const { flags, values, positional } = parseFlags(NAMING, argv, FLAGS);
  if (positional.length) {
    throw new UsageError(`unexpected argument '${printable(positional[0], 40)}' (see ${NAMING.help})`);
  }
  const urls = givenBrokerUrls(values.url, env);
  checkBrokerUrls(values.url ? '--url' : '$AMQP_URL', urls);
  const brokers = values.broker ?? [];
  checkBrokerNames(brokers, urls);
  const queue = text(flags, 'queue');
  if (!queue) throw new UsageError('missing --queue: name the queue whose depth scales the fleet, e.g. -q jobs');
  const queueProblem = queueNameProblem(queue);
  if (queueProblem) throw new UsageError(`--queue '${printable(queue, 60)}': ${queueProblem}`);

  const number = (key: string, flag: string, fallback?: number): number => {
    const given = text(flags, key);
    if (given === undefined) {
      if (fallback === undefined) throw new UsageError(`missing ${flag} (see ${NAMING.help})`);
      return fallback;
    }
    const n = Number(given);
    if (given.trim() === '' || !Number.isFinite(n)) {
      throw new UsageError(`${flag} needs a number, not '${printable(given, 20)}'`);
    }
    return n;
  };
  const whole = (flag: string, value: number, min: number, max?: number) => {
    const problem = wholeNumberProblem(value, min, max);
    if (problem) throw new UsageError(`${flag} must be ${problem}, not '${value}'`);
  };
  const seconds = (flag: string, value: number, exclusive: boolean) => {
    const problem = numberProblem(value, 0, exclusive);
    if (problem) throw new UsageError(`${flag} must be ${problem} seconds, not '${value}'`);
  };

  const messagesPerInstance = number('messagesPerInstance', '--messages-per-instance');
  const mpiProblem = numberProblem(messagesPerInstance, 0, true);
  if (mpiProblem) throw new UsageError(`--messages-per-instance must be ${mpiProblem}, not '${messagesPerInstance}'`);
  const min = number('min', '--min', 0);
  whole('--min', min, 0, 100_000);
  const max = number('max', '--max');
  whole('--max', max, Math.max(min, 1), 100_000);
  const activation = number('activation', '--activation', DEFAULT_ACTIVATION);
  const activationProblem = numberProblem(activation, 0);
  if (activationProblem) throw new UsageError(`--activation must be ${activationProblem}, not '${activation}'`);
  const intervalSeconds = number('interval', '--interval', DEFAULT_INTERVAL_SECONDS);
  seconds('--interval', intervalSeconds, true);
  const cooldownSeconds = number('cooldown', '--cooldown', DEFAULT_COOLDOWN_SECONDS);
  seconds('--cooldown', cooldownSeconds, false);
  const stabilizationSeconds = number('stabilization', '--stabilization', cooldownSeconds);
  seconds('--stabilization', stabilizationSeconds, false);
  const healthPort = text(flags, 'healthPort') === undefined ? undefined : number('healthPort', '--health-port');
  if (healthPort !== undefined) whole('--health-port', healthPort, 0, 65_535);

  const management = text(flags, 'management');
  return {
    urls,
    brokers,
    queue,
    intervalSeconds,
    management,
    rule: { messagesPerInstance, min, max, activation, cooldownSeconds, stabilizationSeconds },
    platform: platform(flags),
    once: flags.once === true,
    healthPort,
  };
}

/** Exactly one fleet: --app (Marathon from --marathon or $MARATHON_URL) or --swarm-service. */
function platform(flags: Readonly<Record<string, string | true>>): Platform {
  const [marathon, app, service] = [text(flags, 'marathon'), text(flags, 'app'), text(flags, 'swarmService')];
  if (app !== undefined && service !== undefined) {
    throw new UsageError('give either --app (Marathon) or --swarm-service (Swarm), not both');
  }
  if (service !== undefined) {
    if (marathon !== undefined) throw new UsageError('--marathon goes with --app, not with --swarm-service');
    if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(service)) {
      throw new UsageError(`--swarm-service must be a service name or id, not '${printable(service, 60)}'`);
    }
    return { kind: 'swarm', service };
  }
  if (app === undefined) {
    throw new UsageError('no fleet to scale: give --marathon URL --app ID (Marathon) or --swarm-service NAME (Swarm)');
  }
  if (!/^\/?[a-z0-9][a-z0-9.-]*(\/[a-z0-9][a-z0-9.-]*)*$/.test(app)) {
    throw new UsageError(`--app must be a Marathon app id such as /jobs-worker, not '${printable(app, 60)}'`);
  }
  return { kind: 'marathon', marathon, app };
}
