import { Construct } from 'constructs';
import { stringify } from 'yaml';
import { kubernetesProviderModule } from './kubernetes-provider';
import { ensureKubernetesProvider } from './providers';
import { writeOnSynth } from './stack-file';
import { terraformLiterals } from './terraform-literal';

/** A Kubernetes object as the API server takes it: what `kubectl apply -f` reads. */
export interface KubernetesObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: {
    readonly name: string;
    readonly namespace: string;
    readonly labels?: Readonly<Record<string, string>>;
    readonly annotations?: Readonly<Record<string, string>>;
  };
  readonly [field: string]: unknown;
}

/** A Secret the objects read by `secretKeyRef`: its values are tokens Terraform resolves. */
export interface KubernetesSecret {
  readonly name: string;
  readonly namespace: string;
  readonly labels: Readonly<Record<string, string>>;
  /** Key (the environment variable's name) → value, a token of a sensitive value or a plain string. */
  readonly data: Readonly<Record<string, string>>;
}

export interface KubernetesObjectsProps {
  /** File name under cdktf.out/stacks/<stack>/kubernetes/. */
  readonly file: string;
  readonly objects: readonly KubernetesObject[];
  readonly secret: KubernetesSecret;
}

/**
 * One component's objects, twice from one list so the two cannot drift: as Terraform resources for `cdktf deploy`
 * (a kubernetes_manifest each, applied server-side), and as one YAML file for `kubectl apply -f`. The Secret is a
 * kubernetes_secret_v1 filled from Terraform, and never in the file: kubectl users create it themselves.
 */
export class KubernetesObjects extends Construct {
  readonly objects: readonly KubernetesObject[];

  constructor(scope: Construct, id: string, props: KubernetesObjectsProps) {
    super(scope, id);
    this.objects = props.objects;
    ensureKubernetesProvider(this);
    const { Manifest, SecretV1 } = kubernetesProviderModule();
    const { name, namespace, labels, data } = props.secret;
    const secret = new SecretV1(this, 'secret', { metadata: { name, namespace, labels: { ...labels } }, data });
    for (const object of props.objects) {
      new Manifest(this, `${object.kind.toLowerCase()}-${object.metadata.name}`, {
        // The YAML is read by kubectl as it is; Terraform would evaluate ${ and %{ in the same strings.
        manifest: terraformLiterals(object),
        // Pods that read the Secret start once it exists.
        dependsOn: [secret],
      });
    }
    writeOnSynth(this, `kubernetes/${props.file}`, () => props.objects.map(yamlDocument).join('---\n'));
  }
}

/**
 * One object as a YAML document, every string value double-quoted: kubectl reads YAML 1.1, where a plain `yes`,
 * `on`, `n`, `1_000` or `2024-01-01` is a boolean, a number or a date (an env value "on" would be refused as not a
 * string), and quoting only what YAML 1.2 would misread leaves those plain. Keys are all the renderer's own names.
 */
function yamlDocument(object: KubernetesObject): string {
  return stringify(object, {
    lineWidth: 0,
    aliasDuplicateObjects: false,
    defaultStringType: 'QUOTE_DOUBLE',
    defaultKeyType: 'PLAIN',
  });
}
