import { docker } from './plan-driver';
import { health, removeLeftovers } from './system';

/** Running tasks of a service, with their images. */
export function runningTasks(service: string): string[] {
  const out = docker([
    'service',
    'ps',
    service,
    '--filter',
    'desired-state=running',
    '--format',
    '{{.CurrentState}} {{.Image}}',
  ]);
  return out ? out.split('\n').filter((l) => l.startsWith('Running')) : [];
}

/** Ids of the running containers of a service's tasks (single node). */
export function taskContainers(service: string): string[] {
  const out = docker(['ps', '-q', '--filter', `label=com.docker.swarm.service.name=${service}`]);
  return out ? out.split('\n') : [];
}

/** Health of the container of a service's task (single node, single replica). */
export function serviceHealth(service: string): string {
  const id = taskContainers(service)[0];
  return id ? health(id) : '';
}

/**
 * Makes this engine a single-node swarm when it is not in one; true when it did (the test then leaves it).
 * Loopback only: the swarm's own traffic never leaves this machine.
 */
export function joinSwarm(): boolean {
  if (docker(['info', '-f', '{{.Swarm.LocalNodeState}}']) === 'active') return false;
  docker(['swarm', 'init', '--advertise-addr', '127.0.0.1', '--listen-addr', '127.0.0.1:2377']);
  return true;
}

/** Leaves the swarm a test created; the engine may need a few tries while it winds down. */
export function leaveSwarm(): void {
  for (let i = 0; i < 10; i++) {
    try {
      docker(['swarm', 'leave', '--force']);
    } catch {
      // "context deadline exceeded" while services wind down: check and try again
    }
    if (docker(['info', '-f', '{{.Swarm.LocalNodeState}}']) === 'inactive') {
      // The bridge swarm init made for its overlay traffic goes with it.
      removeLeftovers([['network', 'rm', 'docker_gwbridge']]);
      return;
    }
  }
  process.stderr.write('e2e swarm: could not leave the swarm; run `docker swarm leave --force`\n');
}
