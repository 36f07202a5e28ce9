import { AssetType, TerraformAsset } from 'cdktf';
import { Construct } from 'constructs';
import { Image } from '@cdktf/provider-docker/lib/image';
import { writeBuildContext, type ContextEntry } from './build-context';
import { ensureDockerProvider } from './providers';

export interface DockerImageBuildProps {
  /** Image name with tag, e.g. workqueue-broker:latest. */
  readonly name: string;
  readonly context: readonly ContextEntry[];
  readonly buildArgs: Readonly<Record<string, string>>;
}

/**
 * A docker_image built from a context shipped with the plan (TerraformAsset): paths resolve
 * inside cdktf.out, and a changed context gets a new asset path, so the image is rebuilt.
 */
export class DockerImageBuild extends Construct {
  readonly image: Image;
  readonly asset: TerraformAsset;

  constructor(scope: Construct, id: string, props: DockerImageBuildProps) {
    super(scope, id);
    ensureDockerProvider(this);
    const dir = writeBuildContext(this.node.path, props.context);
    this.asset = new TerraformAsset(this, 'context', { path: dir, type: AssetType.DIRECTORY });
    this.image = new Image(this, 'image', {
      name: props.name,
      keepLocally: true,
      buildAttribute: { context: this.asset.path, buildArgs: { ...props.buildArgs } },
      triggers: { context: this.asset.assetHash },
    });
  }
}
