import type { KubernetesProvider } from '@cdktf/provider-kubernetes/lib/provider';
import type { Manifest } from '@cdktf/provider-kubernetes/lib/manifest';
import type { SecretV1 } from '@cdktf/provider-kubernetes/lib/secret-v1';

/** What the kubernetes target uses of @cdktf/provider-kubernetes. */
export interface KubernetesProviderModule {
  readonly KubernetesProvider: typeof KubernetesProvider;
  readonly Manifest: typeof Manifest;
  readonly SecretV1: typeof SecretV1;
}

const PACKAGE = '@cdktf/provider-kubernetes';

/**
 * The provider's classes, loaded when a stack first uses the kubernetes target: the package is an optional peer
 * dependency (about 150 MB), so stacks on the other targets never need it.
 */
export function kubernetesProviderModule(): KubernetesProviderModule {
  const load = <T>(path: string): T => {
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use: an optional peer
      return require(`${PACKAGE}/lib/${path}`) as T;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'MODULE_NOT_FOUND' && String(e).includes(PACKAGE)) {
        throw new Error(
          `the kubernetes target needs the ${PACKAGE} package: run \`npm install ${PACKAGE}@^12\` in the project`,
          { cause: e },
        );
      }
      throw e;
    }
  };
  return {
    ...load<Pick<KubernetesProviderModule, 'KubernetesProvider'>>('provider'),
    ...load<Pick<KubernetesProviderModule, 'Manifest'>>('manifest'),
    ...load<Pick<KubernetesProviderModule, 'SecretV1'>>('secret-v1'),
  };
}
