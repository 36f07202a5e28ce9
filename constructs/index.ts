export { Broker, AMQP_PORT, MANAGEMENT_PORT, type BrokerProps } from './broker';
export type { BrokerQueue, QueueType } from './broker-config';
export { WorkQueueWorker, WORKER_HEALTH_PORT, type WorkQueueWorkerProps } from './work-queue-worker';
export type { Autoscale, AutoscaleProps } from './autoscale';
export { MarathonApp, type MarathonAppDefinition } from './marathon-app';
export { TARGETS, type Target } from './target';
export { DefaultStack, defaultStackSettings, type DefaultStackSettings } from './default-stack';
export type {
  BrokerDescription,
  BrokerLink,
  BrokerNodeDescription,
  EnvVar,
  ImageDescription,
  WorkerDescription,
} from './descriptions';
export { RENDERERS, type RenderedBroker, type RenderedWorker, type TargetRenderer } from './targets';
export { configureAlerts } from './monitoring/stack-monitoring';
export { PROMETHEUS_RULES_FILE, type AlertThresholds } from './monitoring/prometheus-rules';
export { GRAFANA_DASHBOARD_FILE } from './monitoring/grafana-dashboard';
