import { TerraformStack } from 'cdktf';
import type { Construct } from 'constructs';
import { propError } from './prop-error';

/** Names a construct gives things outside the stack's own tree, where two equal ones collide. */
export type NameKind = 'name' | 'imageName' | 'dataVolume';

/** What shares a name of each kind, for the error: why a second one is refused. */
const SHARED_BY: Record<NameKind, string> = {
  name: 'container, service and host names and the Marathon app file',
  imageName: 'one image tag and one images/<name>.json',
  dataVolume: 'one data volume',
};

/** Per stack: kind and name → the label of the construct holding it. */
const claims = new WeakMap<TerraformStack, Map<string, string>>();

/**
 * Records that the construct (`label`, e.g. "WorkQueueWorker (stack/mailers)") uses `value` as its
 * `kind` in its stack, or refuses with `fix` when another construct of the stack does already:
 * the later would silently replace the earlier's containers, image or Marathon app.
 */
export function claimName(
  construct: Construct,
  label: string,
  kind: NameKind,
  prop: string,
  value: string,
  fix: string,
): void {
  const stack = TerraformStack.of(construct);
  const taken = claims.get(stack) ?? new Map<string, string>();
  claims.set(stack, taken);
  const key = `${kind}:${value}`;
  const holder = taken.get(key);
  if (holder !== undefined) {
    throw propError(label, prop, value, `${holder} has it too, so both would share ${SHARED_BY[kind]}: ${fix}`);
  }
  taken.set(key, label);
}
