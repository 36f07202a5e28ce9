import { propError } from './prop-error';

/**
 * Where a component runs: containers on one Docker host, services on a Docker Swarm (Terraform
 * resources for both), Marathon app files that `workqueue deploy` sends (no Terraform resources), or
 * objects on a Kubernetes cluster (Terraform resources, and the same objects as YAML for kubectl).
 * Each target has its renderer in constructs/targets/; every target also gets the target-neutral
 * images/<image>.json manifests the CLI reads.
 */
export type Target = 'docker' | 'swarm' | 'marathon' | 'kubernetes';

export const TARGETS: readonly Target[] = ['docker', 'swarm', 'marathon', 'kubernetes'];

export function checkTarget(construct: string, value: string): Target {
  if (!(TARGETS as readonly string[]).includes(value)) {
    throw propError(construct, 'target', value, `use one of ${TARGETS.map((t) => `'${t}'`).join(', ')}`);
  }
  return value as Target;
}
