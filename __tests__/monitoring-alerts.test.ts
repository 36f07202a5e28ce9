import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { Broker, PROMETHEUS_RULES_FILE, WorkQueueWorker, configureAlerts, type AlertThresholds } from '../constructs';
import { synthesize, testStack } from './helpers/synth';

/** The stack's queues: two declared by the broker (one with a dot), one consumed from a broker given by URL. */
function rulesOf(thresholds?: AlertThresholds): string {
  const { dir } = synthesize((scope) => {
    if (thresholds) configureAlerts(scope, thresholds);
    const broker = new Broker(scope, 'broker', { queues: ['jobs', 'mail.v2'] });
    new WorkQueueWorker(scope, 'workers', { queue: 'jobs', broker });
    new WorkQueueWorker(scope, 'reports', { queue: 'reports', broker: 'amqp://elsewhere:5672/' });
  });
  return join(dir, PROMETHEUS_RULES_FILE);
}

interface RuleFile {
  groups: { rules: { alert: string; annotations: { description: string } }[] }[];
}

/** promtool's verdict on `args`, in `cwd`. */
function promtool(cwd: string, ...args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd, encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

/** Runs `promtool test rules` on `rules` with the given test groups (1-minute samples and evaluations). */
function testRules(rules: string, tests: object[]): { status: number | null; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'wq-alerts-'));
  writeFileSync(join(dir, 'test.yml'), stringify({ rule_files: [rules], evaluation_interval: '1m', tests }));
  return promtool(dir, 'test', 'rules', 'test.yml');
}

const PASSED = { status: 0, output: expect.stringContaining('SUCCESS') };

describe('the Prometheus alerting rules each stack writes (prometheus/rules.yml)', () => {
  let rules: string;
  let descriptions: Record<string, string>;
  beforeAll(() => {
    rules = rulesOf();
    const file = parse(readFileSync(rules, 'utf8')) as RuleFile;
    descriptions = Object.fromEntries(file.groups[0].rules.map((r) => [r.alert, r.annotations.description]));
  });

  /** An alert as promtool must see it fire: its labels and annotations (the description is prose, not checked). */
  const fired = (alert: string, severity: string, labels: Record<string, string>, summary: string) => ({
    exp_labels: { severity, ...labels },
    exp_annotations: { summary, description: descriptions[alert] },
  });

  it('is a valid rule file with the five alerts', () => {
    // GIVEN a stack with a broker and two fleets, synthesized
    // THEN promtool accepts the file, which holds the five alerts
    expect(promtool(tmpdir(), 'check', 'rules', rules)).toEqual({
      status: 0,
      output: expect.stringContaining('SUCCESS: 5 rules found'),
    });
    expect(Object.keys(descriptions).sort()).toEqual([
      'WorkqueueBrokerDown',
      'WorkqueueDeadLettersGrowing',
      'WorkqueueFailureRatioHigh',
      'WorkqueueNoConsumer',
      'WorkqueueWorkerDisconnected',
    ]);
  });

  it('fires while a dead-letter queue of the stack grows, and stops 10 minutes after', () => {
    const dlq = (queue: string, values: string) => ({
      series: `rabbitmq_detailed_queue_messages{job="rabbitmq",instance="broker:15692",vhost="/",queue="${queue}"}`,
      values,
    });
    const result = testRules(rules, [
      {
        interval: '1m',
        input_series: [
          // GIVEN jobs.dlq receiving two dead letters at minutes 3 and 4, reports.dlq (a fleet's queue) one
          dlq('jobs.dlq', '0 0 0 1 2x30'),
          dlq('reports.dlq', '0 0 0 0 0 7x30'),
          // and queues that do not count: a steady dead-letter queue, a work queue, another stack's queue
          dlq('mail.v2.dlq', '5x35'),
          dlq('jobs', '0+10x35'),
          dlq('other.dlq', '0+1x35'),
          dlq('mailXv2.dlq', '0+1x35'),
        ],
        alert_rule_test: [
          // THEN nothing before the growth, nor while it is pending
          { eval_time: '2m', alertname: 'WorkqueueDeadLettersGrowing', exp_alerts: [] },
          { eval_time: '3m', alertname: 'WorkqueueDeadLettersGrowing', exp_alerts: [] },
          // THEN both growing dead-letter queues, with the number of new dead letters
          {
            eval_time: '6m',
            alertname: 'WorkqueueDeadLettersGrowing',
            exp_alerts: [
              fired(
                'WorkqueueDeadLettersGrowing',
                'warning',
                { vhost: '/', queue: 'jobs.dlq' },
                '2 new dead ' + 'letters in jobs.dlq within 10 minutes',
              ),
              fired(
                'WorkqueueDeadLettersGrowing',
                'warning',
                { vhost: '/', queue: 'reports.dlq' },
                '7 new dead ' + 'letters in reports.dlq within 10 minutes',
              ),
            ],
          },
          // THEN no more once 10 minutes passed without a new one
          { eval_time: '20m', alertname: 'WorkqueueDeadLettersGrowing', exp_alerts: [] },
        ],
      },
    ]);
    expect(result).toEqual(PASSED);
  });

  it('fires when messages wait for 5 minutes in a queue no worker consumes', () => {
    const gauge = (metric: string, queue: string, values: string) => ({
      series: `${metric}{job="rabbitmq",instance="broker:15692",vhost="/",queue="${queue}"}`,
      values,
    });
    const result = testRules(rules, [
      {
        interval: '1m',
        input_series: [
          // GIVEN jobs: 50 ready messages from minute 2, no consumer
          gauge('rabbitmq_detailed_queue_messages_ready', 'jobs', '0 0 50x30'),
          gauge('rabbitmq_detailed_queue_consumers', 'jobs', '0x32'),
          // and mail.v2: as many ready with 2 consumers; jobs.dlq: waiting with none (dead letters wait for people)
          gauge('rabbitmq_detailed_queue_messages_ready', 'mail.v2', '0 0 50x30'),
          gauge('rabbitmq_detailed_queue_consumers', 'mail.v2', '2x32'),
          gauge('rabbitmq_detailed_queue_messages_ready', 'jobs.dlq', '0 0 50x30'),
          gauge('rabbitmq_detailed_queue_consumers', 'jobs.dlq', '0x32'),
        ],
        alert_rule_test: [
          // THEN not while the 5 minutes run, then for jobs only
          { eval_time: '6m', alertname: 'WorkqueueNoConsumer', exp_alerts: [] },
          {
            eval_time: '8m',
            alertname: 'WorkqueueNoConsumer',
            exp_alerts: [
              fired(
                'WorkqueueNoConsumer',
                'critical',
                { vhost: '/', queue: 'jobs' },
                '50 messages wait in queue ' + 'jobs and no worker consumes it',
              ),
            ],
          },
        ],
      },
    ]);
    expect(result).toEqual(PASSED);
  });

  it("fires when more than 10% of a queue's attempts fail for 10 minutes, over every worker of the queue", () => {
    const counter = (metric: string, instance: string, queue: string, values: string) => ({
      series: `${metric}{job="workqueue-worker",instance="${instance}",queue="${queue}"}`,
      values,
    });
    const result = testRules(rules, [
      {
        interval: '1m',
        input_series: [
          // GIVEN jobs: one worker failing 3 attempts a minute, another succeeding 7 (30% fail)
          counter('workqueue_messages_failed_total', 'w1:8080', 'jobs', '0+3x30'),
          counter('workqueue_messages_succeeded_total', 'w1:8080', 'jobs', '0x30'),
          counter('workqueue_messages_failed_total', 'w2:8080', 'jobs', '0x30'),
          counter('workqueue_messages_succeeded_total', 'w2:8080', 'jobs', '0+7x30'),
          // and mail.v2 with 1% failing
          counter('workqueue_messages_failed_total', 'w3:8080', 'mail.v2', '0+1x30'),
          counter('workqueue_messages_succeeded_total', 'w3:8080', 'mail.v2', '0+99x30'),
        ],
        alert_rule_test: [
          { eval_time: '8m', alertname: 'WorkqueueFailureRatioHigh', exp_alerts: [] },
          {
            eval_time: '15m',
            alertname: 'WorkqueueFailureRatioHigh',
            exp_alerts: [
              fired(
                'WorkqueueFailureRatioHigh',
                'warning',
                { queue: 'jobs' },
                '30% of the attempts on queue jobs fail',
              ),
            ],
          },
        ],
      },
    ]);
    expect(result).toEqual(PASSED);
  });

  it('fires for a worker that serves its metrics but has been off the broker for 2 minutes', () => {
    const worker = (metric: string, instance: string, queue: string, values: string, extra = '') => ({
      series: `${metric}{job="workqueue-worker",instance="${instance}",queue="${queue}"${extra}}`,
      values,
    });
    const url = ',url="amqp://workqueue-worker:***@broker:5672/"';
    const result = testRules(rules, [
      {
        interval: '1m',
        input_series: [
          // GIVEN w1 connected all along; w2 losing its connection at minute 3 (the worker drops the series)
          worker('workqueue_messages_in_flight', 'w1:8080', 'jobs', '2x20'),
          worker('workqueue_broker_connected', 'w1:8080', 'jobs', '1x20', url),
          worker('workqueue_messages_in_flight', 'w2:8080', 'jobs', '2x20'),
          worker('workqueue_broker_connected', 'w2:8080', 'jobs', '1 1 1 stale', url),
          // and a disconnected worker of another stack's queue
          worker('workqueue_messages_in_flight', 'w9:8080', 'other', '0x20'),
        ],
        alert_rule_test: [
          { eval_time: '2m', alertname: 'WorkqueueWorkerDisconnected', exp_alerts: [] },
          { eval_time: '4m', alertname: 'WorkqueueWorkerDisconnected', exp_alerts: [] },
          {
            eval_time: '6m',
            alertname: 'WorkqueueWorkerDisconnected',
            exp_alerts: [
              fired(
                'WorkqueueWorkerDisconnected',
                'warning',
                { job: 'workqueue-worker', instance: 'w2:8080', queue: 'jobs' },
                'Worker w2:8080 of queue jobs is not connected to the broker',
              ),
            ],
          },
        ],
      },
    ]);
    expect(result).toEqual(PASSED);
  });

  it('fires when the broker stops answering its scrape for a minute, or when no scrape of it exists', () => {
    const result = testRules(rules, [
      {
        interval: '1m',
        // GIVEN the broker's scrape failing from minute 3
        input_series: [{ series: 'up{job="rabbitmq",instance="broker:15692"}', values: '1 1 1 0x10' }],
        alert_rule_test: [
          { eval_time: '2m', alertname: 'WorkqueueBrokerDown', exp_alerts: [] },
          { eval_time: '3m', alertname: 'WorkqueueBrokerDown', exp_alerts: [] },
          {
            eval_time: '5m',
            alertname: 'WorkqueueBrokerDown',
            exp_alerts: [
              fired(
                'WorkqueueBrokerDown',
                'critical',
                { job: 'rabbitmq', instance: 'broker:15692' },
                'RabbitMQ broker:15692 (job rabbitmq) does not answer Prometheus',
              ),
            ],
          },
        ],
      },
      {
        interval: '1m',
        // GIVEN a Prometheus that scrapes only something else
        input_series: [{ series: 'up{job="node",instance="host:9100"}', values: '1x10' }],
        alert_rule_test: [
          {
            eval_time: '5m',
            alertname: 'WorkqueueBrokerDown',
            exp_alerts: [
              fired(
                'WorkqueueBrokerDown',
                'critical',
                { job: 'rabbitmq' },
                'RabbitMQ  (job rabbitmq) does not answer ' + 'Prometheus',
              ),
            ],
          },
        ],
      },
    ]);
    expect(result).toEqual(PASSED);
  });

  it('takes the thresholds and job name configureAlerts gives', () => {
    // GIVEN a stack whose alerts allow 50% failures and whose broker is scraped as job "rmq"
    const tuned = rulesOf({ failureRatio: 0.5, brokerJob: 'rmq' });
    const result = testRules(tuned, [
      {
        interval: '1m',
        input_series: [
          { series: 'workqueue_messages_failed_total{instance="w1:8080",queue="jobs"}', values: '0+3x30' },
          { series: 'workqueue_messages_succeeded_total{instance="w1:8080",queue="jobs"}', values: '0+7x30' },
          { series: 'up{job="rabbitmq",instance="broker:15692"}', values: '0x30' },
          { series: 'up{job="rmq",instance="broker:15692"}', values: '1x30' },
        ],
        // THEN 30% failing and a down target of job "rabbitmq" are no alerts there
        alert_rule_test: [
          { eval_time: '20m', alertname: 'WorkqueueFailureRatioHigh', exp_alerts: [] },
          { eval_time: '20m', alertname: 'WorkqueueBrokerDown', exp_alerts: [] },
        ],
      },
    ]);
    expect(result).toEqual(PASSED);
  });

  it('refuses thresholds that make no alert, saying what to use', () => {
    // WHEN a share above 1 or a zero duration is given THEN the construction fails with the fix
    expect(() => configureAlerts(testStack(), { failureRatio: 1.5 })).toThrow(
      'alerts (test/workqueue-monitoring): invalid failureRatio 1.5: use a share of the attempts, above 0, at most 1',
    );
    expect(() => configureAlerts(testStack(), { noConsumerMinutes: 0 })).toThrow(
      'invalid noConsumerMinutes 0: use a whole number of at least 1',
    );
  });
});
