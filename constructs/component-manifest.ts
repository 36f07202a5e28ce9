/**
 * What the constructs write to cdktf.out/stacks/<stack>/images/<image>.json for every component, whatever
 * its target: how to build its image, and what the `workqueue` CLI needs to run it anywhere (run-local, build,
 * status). No cdktf import here: the CLI bundles this file. Secrets appear only as `{{NAME}}` placeholders.
 */
export interface ComponentManifest {
  readonly component: 'broker' | 'worker';
  /** Image reference, without tag: `registry/name` when the construct names a registry. */
  readonly image: string;
  /** The registry `workqueue build --push` pushes the image to; absent: the image is not pushed. */
  readonly registry?: string;
  /** Build context, relative to the stack directory. */
  readonly context: string;
  readonly buildArgs: Readonly<Record<string, string>>;
  /** The component's name: the broker's or the fleet's `name`. */
  readonly name: string;
  /** The target it was synthesized for. */
  readonly target: string;
  /** The component's environment; secrets as `{{NAME}}`, filled from $NAME. A worker's AMQP_URL is not in it. */
  readonly env: Readonly<Record<string, string>>;
  /** A worker's queue. */
  readonly queue?: string;
  /** A worker's runtime arguments (workqueue-worker's), without broker names (-b). */
  readonly args?: readonly string[];
  /** A worker fleet's instances. */
  readonly replicas?: number;
  /** A broker's nodes: host names, and for a cluster the RabbitMQ node name each runs as. */
  readonly nodes?: readonly { readonly host: string; readonly nodeName?: string }[];
}

/** The fields a component adds to its image's manifest. */
export type ComponentDetails = Omit<ComponentManifest, 'component' | 'image' | 'registry' | 'context' | 'buildArgs'>;
