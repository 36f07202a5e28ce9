import { checkNamespace, checkStorageClass } from './kubernetes-names';
import { propError } from './prop-error';
import type { Target } from './target';
import type { TargetRenderer } from './targets/renderer';

/** Kubernetes' own default namespace. */
export const DEFAULT_NAMESPACE = 'default';

/**
 * The props that place a component on a platform with namespaces and storage classes: refused elsewhere rather than
 * ignored, and checked against the platform's name rules.
 */
export function checkPlacement(
  construct: string,
  target: Target,
  renderer: TargetRenderer,
  props: { readonly namespace?: string; readonly storageClass?: string },
): void {
  for (const prop of ['namespace', 'storageClass'] as const) {
    if (props[prop] !== undefined && !renderer.namespaces)
      throw propError(
        construct,
        prop,
        props[prop],
        `target '${target}' has no ${prop}: leave it unset, or use 'kubernetes'`,
      );
  }
  if (props.namespace !== undefined) checkNamespace(construct, 'namespace', props.namespace);
  if (props.storageClass !== undefined) checkStorageClass(construct, 'storageClass', props.storageClass);
}
