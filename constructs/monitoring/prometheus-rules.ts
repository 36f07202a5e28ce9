import { stringify } from 'yaml';
import { numberProblem, wholeNumberProblem } from '../../worker/consumer/number-rules';
import { deadLetterQueueName } from '../../worker/consumer/queue-names';
import { propError } from '../prop-error';

/** Where the stack's alerting rules go, relative to cdktf.out/stacks/<stack>. */
export const PROMETHEUS_RULES_FILE = 'prometheus/rules.yml';

/** The thresholds of the stack's alerts (README, "Alerts"). */
export interface AlertThresholds {
  /** Share of a queue's attempts failed over 5 minutes above which WorkqueueFailureRatioHigh fires. @default 0.1 */
  readonly failureRatio?: number;
  /** Minutes a dead-letter queue's growth is looked back on (WorkqueueDeadLettersGrowing). @default 10 */
  readonly deadLetterWindowMinutes?: number;
  /** Minutes messages may wait with no consumer before WorkqueueNoConsumer fires. @default 5 */
  readonly noConsumerMinutes?: number;
  /** Minutes a worker may stay off the broker before WorkqueueWorkerDisconnected fires. @default 2 */
  readonly disconnectedMinutes?: number;
  /** Minutes the broker may not answer its scrape before WorkqueueBrokerDown fires. @default 1 */
  readonly brokerDownMinutes?: number;
  /** The Prometheus job that scrapes RabbitMQ's /metrics/detailed on port 15692. @default 'rabbitmq' */
  readonly brokerJob?: string;
}

const DEFAULTS: Required<AlertThresholds> = {
  failureRatio: 0.1,
  deadLetterWindowMinutes: 10,
  noConsumerMinutes: 5,
  disconnectedMinutes: 2,
  brokerDownMinutes: 1,
  brokerJob: 'rabbitmq',
};

const MINUTES = ['deadLetterWindowMinutes', 'noConsumerMinutes', 'disconnectedMinutes', 'brokerDownMinutes'] as const;

/** The thresholds given, checked, with the defaults for the rest; `label` names who gave them in errors. */
export function alertThresholds(label: string, given: AlertThresholds): Required<AlertThresholds> {
  const t = { ...DEFAULTS, ...given };
  if (numberProblem(t.failureRatio, 0, true) || t.failureRatio > 1) {
    throw propError(label, 'failureRatio', t.failureRatio, 'use a share of the attempts, above 0, at most 1');
  }
  for (const prop of MINUTES) {
    const problem = wholeNumberProblem(t[prop], 1);
    if (problem) throw propError(label, prop, t[prop], `use ${problem}`);
  }
  if (!/^[a-zA-Z0-9_.:-]+$/.test(t.brokerJob)) {
    throw propError(label, 'brokerJob', t.brokerJob, 'use the job_name of your Prometheus scrape config');
  }
  return t;
}

interface AlertingRule {
  alert: string;
  expr: string;
  for: string;
  labels: { severity: 'warning' | 'critical' };
  annotations: { summary: string; description: string };
}

/** A PromQL string literal (Go's escapes, which JSON's are a subset of). */
const literal = (text: string) => JSON.stringify(text);

/** An RE2 pattern matching exactly one of `names` (Prometheus anchors label regexes). */
const oneOf = (names: readonly string[]) => names.map((n) => n.replace(/[\\^$.|?*+()[\]{}]/g, '\\$&')).join('|');

/**
 * The alerting rules for a stack whose queues are `queues` (declared by its Broker or consumed by its
 * fleets), as a Prometheus rule file. Worker-side rules read the workers' own metrics (any job name);
 * broker-side ones RabbitMQ's per-queue metrics from /metrics/detailed (README, "Operating it").
 */
export function prometheusRules(queues: readonly string[], thresholds: Required<AlertThresholds>): string {
  const t = thresholds;
  const rules: AlertingRule[] = [];
  const names = [...new Set(queues)].sort();
  const work = `queue=~${literal(oneOf(names))}`;
  const dead = `queue=~${literal(oneOf(names.map(deadLetterQueueName)))}`;
  // Only the node running a queue reports it, but max by keeps one series per queue across a cluster's nodes.
  const perQueue = (metric: string, matcher: string) => `max by (vhost, queue) (${metric}{${matcher}})`;
  if (names.length > 0) {
    rules.push({
      alert: 'WorkqueueDeadLettersGrowing',
      // Above its lowest count of the window: dead letters came in since (a replay or purge lowers it).
      expr:
        `max by (vhost, queue) (rabbitmq_detailed_queue_messages{${dead}} - ` +
        `min_over_time(rabbitmq_detailed_queue_messages{${dead}}[${t.deadLetterWindowMinutes}m])) > 0`,
      for: '1m',
      labels: { severity: 'warning' },
      annotations: {
        summary: `{{ $value }} new dead letters in {{ $labels.queue }} within ${t.deadLetterWindowMinutes} minutes`,
        description:
          'Messages ran out of attempts. Read why with `workqueue dlq ls` and `dlq show`, fix the program ' +
          'or its input, then `workqueue dlq replay` them (or `dlq purge --yes`).',
      },
    });
    rules.push({
      alert: 'WorkqueueNoConsumer',
      expr:
        `${perQueue('rabbitmq_detailed_queue_messages_ready', work)} > 0 and on (vhost, queue) ` +
        `${perQueue('rabbitmq_detailed_queue_consumers', work)} == 0`,
      for: `${t.noConsumerMinutes}m`,
      labels: { severity: 'critical' },
      annotations: {
        summary: `{{ $value }} messages wait in queue {{ $labels.queue }} and no worker consumes it`,
        description:
          'No fleet is consuming the queue: check that its workers run (`workqueue status`), their logs, ' +
          'and that they can reach and log in to the broker.',
      },
    });
    const attempts = (metric: string) => `sum by (queue) (rate(${metric}{${work}}[5m]))`;
    rules.push({
      alert: 'WorkqueueFailureRatioHigh',
      expr:
        `${attempts('workqueue_messages_failed_total')} / (${attempts('workqueue_messages_failed_total')} + ` +
        `${attempts('workqueue_messages_succeeded_total')}) > ${t.failureRatio}`,
      for: '10m',
      labels: { severity: 'warning' },
      annotations: {
        summary: `{{ $value | humanizePercentage }} of the attempts on queue {{ $labels.queue }} fail`,
        description:
          "The program exits non-zero, is killed or times out: read the workers' logs for its stderr and " +
          'exit reasons; failed messages are retried, then dead-lettered.',
      },
    });
    rules.push({
      alert: 'WorkqueueWorkerDisconnected',
      // The worker keeps serving /metrics while off the broker, with no workqueue_broker_connected series.
      expr:
        `max by (job, instance, queue) (workqueue_messages_in_flight{${work}}) ` +
        'unless on (job, instance) workqueue_broker_connected',
      for: `${t.disconnectedMinutes}m`,
      labels: { severity: 'warning' },
      annotations: {
        summary: 'Worker {{ $labels.instance }} of queue {{ $labels.queue }} is not connected to the broker',
        description:
          'It keeps reconnecting with backoff: check the broker (WorkqueueBrokerDown), the network between ' +
          "them, and the worker's log for the reason (refused login, vhost, TLS).",
      },
    });
  }
  rules.push({
    alert: 'WorkqueueBrokerDown',
    expr: `up{job=${literal(t.brokerJob)}} == 0 or absent(up{job=${literal(t.brokerJob)}})`,
    for: `${t.brokerDownMinutes}m`,
    labels: { severity: 'critical' },
    annotations: {
      summary: 'RabbitMQ {{ $labels.instance }} (job {{ $labels.job }}) does not answer Prometheus',
      description:
        "No scrape of the broker's port 15692 succeeds (or none is configured): check the broker's " +
        'container, service or Marathon app and its log; workers wait and reconnect once it is back.',
    },
  });
  return stringify({ groups: [{ name: 'workqueue', rules }] }, { lineWidth: 0 });
}
