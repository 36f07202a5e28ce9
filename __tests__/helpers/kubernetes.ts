import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { Service } from 'kubernetes-models/v1/Service';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1/ScaledObject';
import { TriggerAuthentication } from '@kubernetes-models/keda/keda.sh/v1alpha1/TriggerAuthentication';
import { resources } from './synth';

/**
 * Offline checks of the kubernetes target's objects: Kubernetes' own OpenAPI schemas (kubernetes-models 4, the last
 * CommonJS major) and KEDA's CRDs (@kubernetes-models/keda 0.4, CommonJS). Their newer majors are ES modules for
 * Node 22; this repository runs on Node 20.
 */

/** An object as read from YAML or from a kubernetes_manifest resource. */
export interface KubeObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string } & Record<string, unknown>;
  readonly [field: string]: unknown;
}

type Validating = new (data: KubeObject) => { validate(): void };

/** The schema of each kind the target writes, by `apiVersion/kind`. */
const SCHEMAS: Record<string, Validating> = {
  'v1/Service': Service as unknown as Validating,
  'apps/v1/StatefulSet': StatefulSet as unknown as Validating,
  'apps/v1/Deployment': Deployment as unknown as Validating,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget as unknown as Validating,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject as unknown as Validating,
  'keda.sh/v1alpha1/TriggerAuthentication': TriggerAuthentication as unknown as Validating,
};

/** What the schema of the object's kind says is wrong with it; [] when valid. A kind without a schema is wrong. */
export function schemaErrors(object: KubeObject): string[] {
  const Model = SCHEMAS[`${object.apiVersion}/${object.kind}`];
  if (Model === undefined) return [`no schema for ${object.apiVersion} ${object.kind}`];
  try {
    new Model(object).validate();
    return [];
  } catch (e) {
    return (e as Error).message.split(', ');
  }
}

/** The documents of a YAML stream, parsed as YAML `version` (kubectl's reader is YAML 1.1), refusing any error. */
export function yamlObjects(text: string, version: '1.1' | '1.2' = '1.2'): KubeObject[] {
  return parseAllDocuments(text, { version }).map((doc) => {
    if (doc.errors.length > 0) throw new Error(doc.errors.map((e) => e.message).join('; '));
    return doc.toJS() as KubeObject;
  });
}

/** The files under kubernetes/ of a synthesized stack directory, by file name, with their text. */
export function kubernetesFiles(stackDir: string): Record<string, string> {
  const dir = join(stackDir, 'kubernetes');
  if (!existsSync(dir)) return {};
  return Object.fromEntries(readdirSync(dir).map((f) => [f, readFileSync(join(dir, f), 'utf8')]));
}

/** The manifest of every kubernetes_manifest resource in synthesized Terraform JSON. */
export function terraformManifests(json: string): KubeObject[] {
  return Object.values(resources(json, 'kubernetes_manifest')).map((r) => r.manifest as KubeObject);
}

/** One object of a list by kind and name; fails the test when it is missing. */
export function objectOf(objects: readonly KubeObject[], kind: string, name: string): KubeObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (found === undefined) throw new Error(`no ${kind} ${name} among ${objects.map(idOf).join(', ')}`);
  return found;
}

/** `Kind/name`, to compare lists of objects. */
export const idOf = (o: KubeObject): string => `${o.kind}/${o.metadata.name}`;
