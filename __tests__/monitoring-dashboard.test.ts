import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Broker, GRAFANA_DASHBOARD_FILE, PROMETHEUS_RULES_FILE, WorkQueueWorker, type Target } from '../constructs';
import { WorkerMetrics } from '../worker/observability/metrics';
import { AutoscalerMetrics } from '../worker/autoscaler/autoscaler-metrics';
import { synthesize } from './helpers/synth';

interface Dashboard {
  uid: string;
  title: string;
  schemaVersion: number;
  templating: { list: { name: string; type: string; query?: string | { query: string } }[] };
  panels: {
    id: number;
    type: string;
    title: string;
    datasource: { type: string; uid: string };
    gridPos: { x: number; y: number; w: number; h: number };
    targets: { refId: string; expr: string }[];
  }[];
}

/** Words of PromQL that are neither functions (followed by a parenthesis) nor metric names. */
const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'bool',
  'and',
  'or',
  'unless',
]);

/** The metric names a PromQL expression reads: no strings, label matchers, ranges, grouping labels or functions. */
function metricNames(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  return [...bare.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(?!\s*\(|[a-zA-Z0-9_:])/g)]
    .map((m) => m[0])
    .filter((word) => !KEYWORDS.has(word));
}

/** What the worker's and the autoscaler's /metrics serve: their registries' names, a histogram's three series. */
async function exportedMetricNames(): Promise<Set<string>> {
  const metrics = [
    ...(await new WorkerMetrics('jobs').registry.getMetricsAsJSON()),
    ...(await new AutoscalerMetrics('jobs').registry.getMetricsAsJSON()),
  ];
  return new Set(
    metrics.flatMap((m) =>
      String(m.type) === 'histogram' ? [`${m.name}_bucket`, `${m.name}_sum`, `${m.name}_count`] : [m.name],
    ),
  );
}

function synthesized(target: Target): string {
  return synthesize((scope) => {
    const broker = new Broker(scope, 'broker', { queues: ['jobs', 'mail'], target });
    new WorkQueueWorker(scope, 'jobs', { queue: 'jobs', broker });
    new WorkQueueWorker(scope, 'mail', { queue: 'mail', broker });
  }).dir;
}

describe('the Grafana dashboard each stack writes (grafana/workqueue-dashboard.json)', () => {
  let dashboard: Dashboard;
  beforeAll(() => {
    dashboard = JSON.parse(readFileSync(join(synthesized('docker'), GRAFANA_DASHBOARD_FILE), 'utf8')) as Dashboard;
  });

  it.each(['docker', 'swarm', 'marathon'] as const)('is written with the rules on %s', (target) => {
    // GIVEN a stack with a broker and two fleets on `target` WHEN synthesized THEN both files are there
    const dir = synthesized(target);
    expect(existsSync(join(dir, PROMETHEUS_RULES_FILE))).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, GRAFANA_DASHBOARD_FILE), 'utf8'))).toEqual(dashboard);
  });

  it('finds the metric names in PromQL, which the checks below rely on', () => {
    const expr =
      'histogram_quantile(0.9, sum by (queue, le) (rate(a_bucket{queue=~"x|y"}[$__rate_interval]))) / ' +
      'on (queue) group_left (url) b_total unless ignoring (job) c';
    expect(metricNames(expr)).toEqual(['a_bucket', 'b_total', 'c']);
  });

  it('is a dashboard Grafana loads: titled, with panels that have unique ids, places and queries', () => {
    expect(dashboard).toMatchObject({ uid: 'workqueue', title: 'workqueue', schemaVersion: expect.any(Number) });
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p).toMatchObject({ id: expect.any(Number), type: 'timeseries', title: expect.any(String) });
      expect(p.datasource).toEqual({ type: 'prometheus', uid: '${datasource}' });
      // Grafana's grid is 24 columns wide
      expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
      expect(p.gridPos.w * p.gridPos.h).toBeGreaterThan(0);
      expect(p.targets.length).toBeGreaterThan(0);
      expect(new Set(p.targets.map((t) => t.refId)).size).toBe(p.targets.length);
      for (const t of p.targets) expect(t.expr).toMatch(/\S/);
    }
    // THEN no two panels overlap
    const cells = dashboard.panels.flatMap((p) =>
      [...Array(p.gridPos.w * p.gridPos.h).keys()].map(
        (i) => `${p.gridPos.x + (i % p.gridPos.w)},${p.gridPos.y + Math.floor(i / p.gridPos.w)}`,
      ),
    );
    expect(new Set(cells).size).toBe(cells.length);
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'queue']);
  });

  it('queries only metrics the worker and the autoscaler export, and shows each of them', async () => {
    const exported = await exportedMetricNames();
    const queries = [
      ...dashboard.panels.flatMap((p) => p.targets.map((t) => ({ where: p.title, expr: t.expr }))),
      ...dashboard.templating.list
        .filter((v) => v.type === 'query')
        .map((v) => (typeof v.query === 'string' ? v.query : v.query!.query))
        // label_values(SERIES, LABEL): the series is PromQL, the label is not
        .map((q) => ({ where: `variable ${q}`, expr: q.replace(/^label_values\((.*),\s*\w+\)$/, '$1') })),
    ];
    const used = new Set<string>();
    for (const { where, expr } of queries) {
      const names = metricNames(expr);
      // THEN every query names at least one metric, and only exported ones
      expect({ where, names: names.length > 0 }).toEqual({ where, names: true });
      expect({ where, unknown: names.filter((n) => !exported.has(n)) }).toEqual({ where, unknown: [] });
      names.forEach((n) => used.add(n));
    }
    // THEN every workqueue metric has a panel (process metrics aside), the processing time as quantiles
    const wanted = [...exported].filter((n) => n.startsWith('workqueue_') && !/_(sum|count)$/.test(n));
    expect(wanted.filter((n) => !used.has(n))).toEqual([]);
    const quantiles = dashboard.panels.find((p) => p.title === 'Processing time')!.targets.map((t) => t.expr);
    expect(quantiles).toEqual(
      [0.5, 0.9, 0.99].map((q) => expect.stringMatching(new RegExp(`^histogram_quantile\\(${q},`))),
    );
  });
});
