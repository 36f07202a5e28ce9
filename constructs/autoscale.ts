import {
  DEFAULT_ACTIVATION,
  DEFAULT_COOLDOWN_SECONDS,
  DEFAULT_INTERVAL_SECONDS,
} from '../worker/autoscaler/autoscaler-options';
import { checkCount, propError } from './prop-error';

/**
 * Scaling a fleet on its queue's depth, by KEDA's rule: ceil(messages / messagesPerInstance) instances,
 * between min and max; from 0 only above activationMessages; back to min after cooldownSeconds quiet.
 * On kubernetes it becomes a KEDA ScaledObject.
 */
export interface AutoscaleProps {
  /** Fewest instances; 0 scales the fleet to zero while the queue is empty. */
  readonly min: number;
  /** Most instances. */
  readonly max: number;
  /** Messages one instance is expected to keep up with: the target queue length per instance. */
  readonly messagesPerInstance: number;
  /** Messages the queue must exceed before a fleet at 0 starts. @default 0 */
  readonly activationMessages?: number;
  /** Seconds the queue must stay empty (at or below activationMessages) before scaling back to min. @default 300 */
  readonly cooldownSeconds?: number;
  /** Seconds between two readings of the queue's depth. @default 30 */
  readonly pollingSeconds?: number;
}

/** KEDA's own defaults, which workqueue-autoscaler takes too. */
const DEFAULT_ACTIVATION_MESSAGES = DEFAULT_ACTIVATION;
const DEFAULT_POLLING_SECONDS = DEFAULT_INTERVAL_SECONDS;

export type Autoscale = Required<AutoscaleProps>;

/** The props with their defaults, checked: `C` names the construct in errors. */
export function resolveAutoscale(C: string, props: AutoscaleProps): Autoscale {
  if (typeof props !== 'object' || props === null)
    throw propError(
      C,
      'autoscale',
      props,
      'give { min, max, messagesPerInstance }, e.g. { min: 0, max: 4, messagesPerInstance: 50 }',
    );
  const autoscale: Autoscale = {
    min: props.min,
    max: props.max,
    messagesPerInstance: props.messagesPerInstance,
    activationMessages: props.activationMessages ?? DEFAULT_ACTIVATION_MESSAGES,
    cooldownSeconds: props.cooldownSeconds ?? DEFAULT_COOLDOWN_SECONDS,
    pollingSeconds: props.pollingSeconds ?? DEFAULT_POLLING_SECONDS,
  };
  checkCount(C, 'autoscale.min', autoscale.min, 0);
  checkCount(C, 'autoscale.max', autoscale.max, 1);
  checkCount(C, 'autoscale.messagesPerInstance', autoscale.messagesPerInstance, 1);
  checkCount(C, 'autoscale.activationMessages', autoscale.activationMessages, 0);
  checkCount(C, 'autoscale.cooldownSeconds', autoscale.cooldownSeconds, 0);
  checkCount(C, 'autoscale.pollingSeconds', autoscale.pollingSeconds, 1);
  // Required fields may still arrive undefined from JavaScript callers.
  for (const field of ['min', 'max', 'messagesPerInstance'] as const) {
    if (autoscale[field] === undefined) throw propError(C, `autoscale.${field}`, undefined, 'give a whole number');
  }
  if (autoscale.min > autoscale.max)
    throw propError(C, 'autoscale.min', autoscale.min, `use at most autoscale.max (${autoscale.max})`);
  return autoscale;
}

/** What one autoscaler needs: a reading and a call every interval. */
export const AUTOSCALER_CPUS = 0.25;
export const AUTOSCALER_MEMORY_MB = 128;

/** The worker image's autoscaler command: the entrypoint of the autoscaler service or app (swarm, marathon). */
export const AUTOSCALER_COMMAND = '/usr/local/bin/workqueue-autoscaler';

/** The name of a fleet's autoscaler service or app. */
export const autoscalerName = (fleet: string) => `${fleet}-autoscaler`;

/** workqueue-autoscaler's arguments for a fleet on `queue`, but for the platform's own (--swarm-service, --app). */
export function autoscalerArgs(queue: string, autoscale: Autoscale, healthPort: number): string[] {
  return [
    ...['-q', queue, '--min', String(autoscale.min), '--max', String(autoscale.max)],
    ...['--messages-per-instance', String(autoscale.messagesPerInstance)],
    ...['--activation', String(autoscale.activationMessages), '--cooldown', String(autoscale.cooldownSeconds)],
    ...['--interval', String(autoscale.pollingSeconds), '--health-port', String(healthPort)],
  ];
}
