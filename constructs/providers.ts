import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';

/**
 * The Docker provider of the stack, added once at stack level when the user's stack has none,
 * so that composing several constructs never declares it twice.
 */
export function ensureDockerProvider(scope: Construct): void {
  const stack = TerraformStack.of(scope);
  const has = stack.node.findAll().some((c) => c instanceof DockerProvider);
  if (!has) new DockerProvider(stack, 'docker', {});
}

/** The random provider, for generated credentials; added once like the Docker provider. */
export function ensureRandomProvider(scope: Construct): void {
  const stack = TerraformStack.of(scope);
  const has = stack.node.findAll().some((c) => c instanceof RandomProvider);
  if (!has) new RandomProvider(stack, 'random', {});
}
