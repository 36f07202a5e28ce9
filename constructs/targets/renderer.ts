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
 * construct resolved the props; the renderer only says how the platform spells them.
 */
export interface TargetRenderer {
  /** Whether Terraform builds the images here (a docker_image); else `workqueue build` does, before deploy. */
  readonly terraformImages: boolean;
  /** The RabbitMQ node name of a cluster node on this platform, as peers resolve it. */
  nodeName(host: string): string;
  renderBroker(scope: Construct, desc: BrokerDescription): RenderedBroker;
  /** `broker` is what renderBroker returned for a Broker of the stack; undefined for a broker given by URL. */
  renderWorker(scope: Construct, desc: WorkerDescription, broker: RenderedBroker | undefined): RenderedWorker;
}
