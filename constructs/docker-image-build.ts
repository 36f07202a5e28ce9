import { AssetType, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import { Image } from '@cdktf/provider-docker/lib/image';
import { writeBuildContext, type ContextEntry } from './build-context';
import type { ComponentDetails, ComponentManifest } from './component-manifest';
import { ensureDockerProvider } from './providers';
import { writeOnSynth } from './stack-file';

/** The image's reference without tag: in the registry when one is given. */
export function imageReference(registry: string | undefined, imageName: string): string {
  return registry === undefined ? imageName : `${registry}/${imageName}`;
}

export interface DockerImageBuildProps {
  /** Image name, without tag or registry: names images/<name>.json. */
  readonly name: string;
  /** The reference it is built as, without tag: imageReference(registry, name). */
  readonly reference: string;
  /** The registry `workqueue build --push` pushes to; undefined: none. */
  readonly registry: string | undefined;
  /** Tag of the docker_image resource. */
  readonly tag: string;
  /** What the image is for: the `workqueue build` and `run-local` commands select by it. */
  readonly component: 'broker' | 'worker';
  readonly context: readonly ContextEntry[];
  readonly buildArgs: Readonly<Record<string, string>>;
  /** Also make the docker_image resource (Docker and Swarm targets). */
  readonly terraform: boolean;
  /** What the component adds to the manifest, read at synthesis (the component is resolved by then). */
  readonly details: () => ComponentDetails;
}

/**
 * An image's build context, shipped with the plan (TerraformAsset): paths resolve inside
 * cdktf.out, and a changed context gets a new asset path. For every target it also writes
 * images/<name>.json (context, build args, and the component's target-neutral description: see
 * ComponentManifest) for the `workqueue` CLI; for Docker and Swarm it makes
 * the docker_image built from that context.
 */
export class DockerImageBuild extends Construct {
  readonly image?: Image;
  readonly asset: TerraformAsset;

  constructor(scope: Construct, id: string, props: DockerImageBuildProps) {
    super(scope, id);
    const dir = writeBuildContext(props.context);
    this.asset = new TerraformAsset(this, 'context', { path: dir, type: AssetType.DIRECTORY });
    const manifest = new Construct(this, 'manifest');
    writeOnSynth(manifest, `images/${props.name}.json`, () => {
      const { component, reference: image, registry, buildArgs } = props;
      const manifest: ComponentManifest = {
        component,
        image,
        ...(registry === undefined ? {} : { registry }),
        context: this.asset.path,
        buildArgs,
        ...props.details(),
      };
      return `${JSON.stringify(manifest, null, 2)}\n`;
    });
    if (props.terraform) {
      ensureDockerProvider(this);
      this.image = new Image(this, 'image', {
        name: `${props.reference}:${props.tag}`,
        keepLocally: true,
        buildAttribute: { context: this.asset.path, buildArgs: { ...props.buildArgs } },
        triggers: { context: this.asset.assetHash },
      });
    }
  }
}
