import type { Target } from '../target';
import { docker } from './docker';
import { kubernetes } from './kubernetes';
import { marathon } from './marathon';
import type { TargetRenderer } from './renderer';
import { swarm } from './swarm';

export type { RenderedBroker, RenderedWorker, TargetRenderer } from './renderer';

/** Every target's renderer: a target added to `Target` without one here does not compile. */
export const RENDERERS: Readonly<Record<Target, TargetRenderer>> = { docker, swarm, marathon, kubernetes };

export function rendererOf(target: Target): TargetRenderer {
  return RENDERERS[target];
}
