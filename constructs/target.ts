import { propError } from './prop-error';

/**
 * Where a component runs. Marathon app files are written for every target; Terraform
 * resources follow the target: containers on one Docker host, services on a Docker Swarm, or
 * none when Marathon runs everything.
 */
export type Target = 'docker' | 'swarm' | 'marathon';

export const TARGETS: readonly Target[] = ['docker', 'swarm', 'marathon'];

export function checkTarget(construct: string, value: string): Target {
  if (!(TARGETS as readonly string[]).includes(value)) {
    throw propError(construct, 'target', value, `use one of ${TARGETS.map((t) => `'${t}'`).join(', ')}`);
  }
  return value as Target;
}
