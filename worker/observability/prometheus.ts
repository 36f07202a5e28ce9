import type * as PromClient from 'prom-client';
import CounterClass from 'prom-client/lib/counter';
import GaugeClass from 'prom-client/lib/gauge';
import HistogramClass from 'prom-client/lib/histogram';
import RegistryClass from 'prom-client/lib/registry';
import collectDefaults from 'prom-client/lib/defaultMetrics';

/*
 * The parts of prom-client the worker and the autoscaler use, required file by file: the package's
 * index also loads Summary, Pushgateway (http, https) and the cluster aggregator, which neither uses
 * (180 KB of the worker's bundle, 2 MiB of its resident memory). Types are the package's own.
 */

export const Counter: typeof PromClient.Counter = CounterClass;
export type Counter<T extends string = string> = PromClient.Counter<T>;
export const Gauge: typeof PromClient.Gauge = GaugeClass;
export type Gauge<T extends string = string> = PromClient.Gauge<T>;
export const Histogram: typeof PromClient.Histogram = HistogramClass;
export type Histogram<T extends string = string> = PromClient.Histogram<T>;
export const Registry: typeof PromClient.Registry = RegistryClass;
export type Registry = PromClient.Registry;
export const collectDefaultMetrics: typeof PromClient.collectDefaultMetrics = collectDefaults;
