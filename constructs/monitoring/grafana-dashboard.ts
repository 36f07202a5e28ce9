/** Where the stack's Grafana dashboard goes, relative to cdktf.out/stacks/<stack>. */
export const GRAFANA_DASHBOARD_FILE = 'grafana/workqueue-dashboard.json';

/** Every query goes to the data source picked in the dashboard's variable. */
const DATASOURCE = { type: 'prometheus', uid: '${datasource}' };
/** The queues picked in the dashboard's variable; "All" also matches series without a queue label. */
const QUEUE = 'queue=~"$queue"';
const WINDOW = '[$__rate_interval]';

interface Query {
  readonly expr: string;
  readonly legend: string;
}

interface Panel {
  readonly title: string;
  readonly description: string;
  readonly unit: string;
  readonly queries: readonly Query[];
}

const rate = (metric: string, by = 'queue') => `sum by (${by}) (rate(${metric}{${QUEUE}}${WINDOW}))`;
const increase = (metric: string, by: string) => `sum by (${by}) (increase(${metric}{${QUEUE}}${WINDOW}))`;
const quantile = (q: number): Query => ({
  expr: `histogram_quantile(${q}, sum by (queue, le) (rate(workqueue_processing_seconds_bucket{${QUEUE}}${WINDOW})))`,
  legend: `{{queue}} p${Math.round(q * 100)}`,
});

const PANELS: readonly Panel[] = [
  {
    title: 'Messages per second',
    description: 'Attempts that ended, per second: succeeded (acked) and failed (retried or dead-lettered).',
    unit: 'ops',
    queries: [
      { expr: rate('workqueue_messages_succeeded_total'), legend: '{{queue}} succeeded' },
      { expr: rate('workqueue_messages_failed_total'), legend: '{{queue}} failed' },
    ],
  },
  {
    title: 'Failures',
    description: 'Share of the attempts that failed: non-zero exit, signal, timeout, program not startable.',
    unit: 'percentunit',
    queries: [
      {
        expr:
          `${rate('workqueue_messages_failed_total')} / (${rate('workqueue_messages_failed_total')} + ` +
          `${rate('workqueue_messages_succeeded_total')})`,
        legend: '{{queue}}',
      },
    ],
  },
  {
    title: 'Dead letters',
    description: 'Messages moved to the dead-letter queue after their last attempt (workqueue dlq ls).',
    unit: 'short',
    queries: [{ expr: increase('workqueue_messages_dead_lettered_total', 'queue'), legend: '{{queue}}' }],
  },
  {
    title: 'In flight',
    description: 'Programs running now, over every worker of the queue.',
    unit: 'short',
    queries: [{ expr: `sum by (queue) (workqueue_messages_in_flight{${QUEUE}})`, legend: '{{queue}}' }],
  },
  {
    title: 'Processing time',
    description: 'Quantiles of the time from program start to its end, per attempt.',
    unit: 's',
    queries: [quantile(0.5), quantile(0.9), quantile(0.99)],
  },
  {
    title: 'Reconnects and connected workers',
    description: 'Connections re-established after a lost broker link, and the workers connected now.',
    unit: 'short',
    queries: [
      { expr: increase('workqueue_reconnects_total', 'queue'), legend: '{{queue}} reconnects' },
      { expr: `count by (queue) (workqueue_broker_connected{${QUEUE}})`, legend: '{{queue}} connected' },
    ],
  },
  {
    title: 'Autoscaler: replicas',
    description: 'Replicas the autoscaler found and the ones its rule wants (KEDA-like, from the queue depth).',
    unit: 'short',
    queries: [
      { expr: `max by (queue) (workqueue_autoscaler_current_replicas{${QUEUE}})`, legend: '{{queue}} current' },
      { expr: `max by (queue) (workqueue_autoscaler_desired_replicas{${QUEUE}})`, legend: '{{queue}} desired' },
    ],
  },
  {
    title: 'Autoscaler: queue depth',
    description: 'The depth each evaluation read: ready + unacked (management API), else ready.',
    unit: 'short',
    queries: [{ expr: `max by (queue) (workqueue_autoscaler_queue_depth{${QUEUE}})`, legend: '{{queue}}' }],
  },
  {
    title: 'Autoscaler: decisions and errors',
    description: 'Scaling calls made, by direction, and failed evaluations, by the stage that failed.',
    unit: 'short',
    queries: [
      {
        expr: increase('workqueue_autoscaler_scaling_calls_total', 'queue, direction'),
        legend: '{{queue}} {{direction}}',
      },
      { expr: increase('workqueue_autoscaler_errors_total', 'queue, stage'), legend: '{{queue}} error: {{stage}}' },
    ],
  },
];

const WIDTH = 12;
const HEIGHT = 8;

/** One time-series panel, two to a row of Grafana's 24 columns. */
function panel(p: Panel, index: number): Record<string, unknown> {
  return {
    id: index + 1,
    type: 'timeseries',
    title: p.title,
    description: p.description,
    datasource: DATASOURCE,
    gridPos: { x: (index % 2) * WIDTH, y: Math.floor(index / 2) * HEIGHT, w: WIDTH, h: HEIGHT },
    fieldConfig: { defaults: { unit: p.unit }, overrides: [] },
    options: { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
    targets: p.queries.map((q, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DATASOURCE,
      expr: q.expr,
      legendFormat: q.legend,
    })),
  };
}

/** The dashboard's variables: the Prometheus data source, and the queues (from the workers' metrics). */
const TEMPLATING = {
  list: [
    { name: 'datasource', label: 'Data source', type: 'datasource', query: 'prometheus' },
    {
      name: 'queue',
      label: 'Queue',
      type: 'query',
      datasource: DATASOURCE,
      query: { query: 'label_values(workqueue_messages_in_flight, queue)', refId: 'queues' },
      definition: 'label_values(workqueue_messages_in_flight, queue)',
      refresh: 2,
      multi: true,
      includeAll: true,
      allValue: '.*',
      sort: 1,
    },
  ],
};

/** The Grafana dashboard of the workers' and autoscaler's metrics (README, "Dashboard"), as JSON. */
export function grafanaDashboard(): string {
  const dashboard = {
    uid: 'workqueue',
    title: 'workqueue',
    description: 'Workers and autoscaler of the workqueue stacks (workqueue constructs).',
    tags: ['workqueue', 'rabbitmq'],
    editable: true,
    schemaVersion: 39,
    version: 1,
    refresh: '30s',
    time: { from: 'now-6h', to: 'now' },
    templating: TEMPLATING,
    panels: PANELS.map(panel),
  };
  return `${JSON.stringify(dashboard, null, 2)}\n`;
}
