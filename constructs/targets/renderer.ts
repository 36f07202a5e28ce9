import type { Construct } from 'constructs';
import type { Network } from '@cdktf/provider-docker/lib/network';
import type { BrokerDescription, WorkerDescription } from '../descriptions';
import type { MarathonApp } from '../marathon-app';

/** What rendering a broker made that its workers and users need. */
export interface RenderedBroker {
  /** The Docker network workers join to reach the nodes by name (docker and swarm). */
  readonly network?: Network;
  /** One app per node (marathon). */
  readonly marathonApps: readonly MarathonApp[];
}

export interface RenderedWorker {
  readonly marathonApp?: MarathonApp;
}

/**
 * Maps a component's description onto one platform. A renderer decides nothing a prop could set: the
 * construct resolved the props; the renderer only says how the platform spells them, and which props the
 * platform can honour at all (the constructs refuse the others, naming the targets that can).
 */
export interface TargetRenderer {
  /** Whether Terraform builds the images here (a docker_image); else `workqueue build` does, before deploy. */
  readonly terraformImages: boolean;
  /** Whether the broker's amqpHostPort and managementHostPort mean something here. */
  readonly hostPorts: boolean;
  /** Whether the components live in a namespace and claim storage by class (namespace, storageClass). */
  readonly namespaces: boolean;
  /** Whether a fleet's `autoscale` is carried out here. */
  readonly autoscales: boolean;
  /** Refuses a component name the platform cannot take (beyond the rule every target shares). */
  checkName(construct: string, prop: string, name: string, component: 'broker' | 'worker'): void;
  /** The RabbitMQ node name of a cluster node (`host`) of broker `broker` on this platform, as peers resolve it. */
  nodeName(broker: string, host: string): string;
  /** The host names in the URLs workers get: the nodes themselves, or one name that reaches them all. */
  clientHosts(broker: string, nodeHosts: readonly string[]): readonly string[];
  /** Names the platform gives objects beside broker `broker`'s own, which no other broker or fleet may take. */
  brokerSideNames(broker: string): readonly string[];
  renderBroker(scope: Construct, desc: BrokerDescription): RenderedBroker;
  /** `broker` is what renderBroker returned for a Broker of the stack; undefined for a broker given by URL. */
  renderWorker(scope: Construct, desc: WorkerDescription, broker: RenderedBroker | undefined): RenderedWorker;
}

/**
 * What docker, swarm and marathon share: workers reach every node by its own host name, nothing else is named
 * beside a broker, and names need no rule beyond the one every target checks.
 */
export const HOST_NAMED_NODES: Pick<TargetRenderer, 'checkName' | 'clientHosts' | 'brokerSideNames'> = {
  checkName: () => undefined,
  clientHosts: (_broker, hosts) => hosts,
  brokerSideNames: () => [],
};
