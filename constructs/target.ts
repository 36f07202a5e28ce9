import { propError } from './prop-error';

/**
 * Where a component runs: containers on one Docker host, services on a Docker Swarm (Terraform
 * resources for both), or Marathon app files that `workqueue deploy` sends (no Terraform resources).
 * Each target has its renderer in constructs/targets/; every target also gets the target-neutral
 * images/<image>.json manifests the CLI reads.
 */
export type Target = 'docker' | 'swarm' | 'marathon';

export const TARGETS: readonly Target[] = ['docker', 'swarm', 'marathon'];

export function checkTarget(construct: string, value: string): Target {
  if (!(TARGETS as readonly string[]).includes(value)) {
    throw propError(construct, 'target', value, `use one of ${TARGETS.map((t) => `'${t}'`).join(', ')}`);
  }
  return value as Target;
}
