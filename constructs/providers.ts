import { Aspects, TerraformProvider, TerraformStack, type IAspect } from 'cdktf';
import type { Construct, IConstruct } from 'constructs';
import { DockerProvider } from '@cdktf/provider-docker/lib/provider';
import { RandomProvider } from '@cdktf/provider-random/lib/provider';
import { kubernetesProviderModule } from './kubernetes-provider';

/** Provider types whose default configuration a stack gets from us when the user declares none. */
type ProviderType = 'docker' | 'random' | 'kubernetes';

const PROVIDERS: Record<ProviderType, (stack: TerraformStack, id: string) => TerraformProvider> = {
  docker: (stack, id) => new DockerProvider(stack, id, {}),
  random: (stack, id) => new RandomProvider(stack, id, {}),
  // Its defaults read the cluster from KUBE_CONFIG_PATH and the like, as kubectl users set them.
  kubernetes: (stack, id) => new (kubernetesProviderModule().KubernetesProvider)(stack, id, {}),
};

/** The provider types each stack has been promised, so each gets one aspect. */
const promised = new WeakMap<TerraformStack, Set<ProviderType>>();

/**
 * Whether the stack configures the default (unaliased) provider of this Terraform type. Compared by
 * the type's name, not by class: the user's stack may load its own copy of the provider package,
 * whose classes are not ours, so `instanceof` would miss the user's provider.
 */
function hasDefaultProvider(stack: TerraformStack, type: ProviderType): boolean {
  return stack.node
    .findAll()
    .some((c) => TerraformProvider.isTerraformProvider(c) && c.terraformResourceType === type && c.alias === undefined);
}

/** A child id of the stack not taken yet (the user may have one by our id, e.g. an aliased provider). */
function freeId(stack: TerraformStack, id: string): string {
  let free = id;
  for (let n = 2; stack.node.tryFindChild(free) !== undefined; n++) free = `${id}${n}`;
  return free;
}

/**
 * Adds the provider at synthesis, once the whole stack is built, and only when the user's stack
 * has none by then: a provider the user declares after our constructs counts too.
 */
class DefaultProvider implements IAspect {
  constructor(
    private readonly stack: TerraformStack,
    private readonly type: ProviderType,
  ) {}

  visit(node: IConstruct): void {
    if (node !== this.stack || hasDefaultProvider(this.stack, this.type)) return;
    PROVIDERS[this.type](this.stack, freeId(this.stack, this.type));
  }
}

function ensureProvider(scope: Construct, type: ProviderType): void {
  const stack = TerraformStack.of(scope);
  const types = promised.get(stack) ?? new Set<ProviderType>();
  promised.set(stack, types);
  if (types.has(type)) return;
  types.add(type);
  Aspects.of(stack).add(new DefaultProvider(stack, type));
}

/**
 * The Docker provider of the stack: the user's if the stack declares one, else one added at stack
 * level, so that composing several constructs never declares it twice.
 */
export function ensureDockerProvider(scope: Construct): void {
  ensureProvider(scope, 'docker');
}

/** The Kubernetes provider (kubernetes target): the user's, or one added like the Docker provider. */
export function ensureKubernetesProvider(scope: Construct): void {
  ensureProvider(scope, 'kubernetes');
}

/** The random provider, for generated credentials; the user's or one added like the Docker provider. */
export function ensureRandomProvider(scope: Construct): void {
  ensureProvider(scope, 'random');
}
