import { TerraformStack } from 'cdktf';
import { Construct } from 'constructs';
import { constructLabel } from '../prop-error';
import { writeOnSynth } from '../stack-file';
import { GRAFANA_DASHBOARD_FILE, grafanaDashboard } from './grafana-dashboard';
import { PROMETHEUS_RULES_FILE, alertThresholds, prometheusRules, type AlertThresholds } from './prometheus-rules';

/** Id of the one StackMonitoring of a stack, a direct child of the stack. */
const ID = 'workqueue-monitoring';

/**
 * The stack's alerting rules and dashboard (README, "Operating it"), written once per stack whatever the
 * target: the rules for the queues of every Broker and fleet that registered with monitorQueues.
 */
class StackMonitoring extends Construct {
  private readonly queueSources: (() => readonly string[])[] = [];
  private thresholds: Required<AlertThresholds>;

  constructor(stack: TerraformStack) {
    super(stack, ID);
    this.thresholds = alertThresholds(constructLabel('alerts', this), {});
    // writeOnSynth takes one file per construct; the queues are read when cdktf writes, after every construct.
    writeOnSynth(new Construct(this, 'prometheus-rules'), PROMETHEUS_RULES_FILE, () =>
      prometheusRules(
        this.queueSources.flatMap((queues) => queues()),
        this.thresholds,
      ),
    );
    writeOnSynth(new Construct(this, 'grafana-dashboard'), GRAFANA_DASHBOARD_FILE, grafanaDashboard);
  }

  static of(scope: Construct): StackMonitoring {
    const stack = TerraformStack.of(scope);
    const found = stack.node.tryFindChild(ID);
    return found instanceof StackMonitoring ? found : new StackMonitoring(stack);
  }

  addQueues(queues: () => readonly string[]): void {
    this.queueSources.push(queues);
  }

  setThresholds(given: AlertThresholds): void {
    this.thresholds = alertThresholds(constructLabel('alerts', this), given);
  }
}

/**
 * Puts the queues `queues` returns (read at synthesis) into the alerting rules of the construct's stack, and
 * makes sure the stack writes its rules and dashboard.
 */
export function monitorQueues(construct: Construct, queues: () => readonly string[]): void {
  StackMonitoring.of(construct).addQueues(queues);
}

/** Sets the thresholds of the alerts of the stack `scope` is in, before or after its Broker and fleets. */
export function configureAlerts(scope: Construct, thresholds: AlertThresholds): void {
  StackMonitoring.of(scope).setThresholds(thresholds);
}
