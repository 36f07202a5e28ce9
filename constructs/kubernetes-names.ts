import { propError } from './prop-error';

/**
 * Kubernetes' name rules (DNS-1123), checked at construction so that `kubectl apply` and Terraform never meet a
 * name the API server refuses.
 */

/** A DNS-1123 label: what namespaces, Services (which also start with a letter) and container names must be. */
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** A DNS-1123 subdomain: dot-separated labels, at most 253 characters (storage classes, most object names). */
const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/**
 * A component's name on kubernetes: the Service, StatefulSet or Deployment, and the prefix of the objects beside
 * it. A Service's name starts with a letter (DNS-1035), and `maxLength` leaves room for what Kubernetes appends.
 */
export function checkKubernetesName(construct: string, prop: string, name: string, maxLength: number): void {
  if (typeof name !== 'string' || !LABEL.test(name) || !/^[a-z]/.test(name) || name.length > maxLength) {
    throw propError(
      construct,
      prop,
      name,
      `on the kubernetes target use lowercase letters, digits and '-', starting with a letter and ending with a ` +
        `letter or digit, at most ${maxLength} characters (Kubernetes object names, DNS-1123), e.g. 'jobs-worker'`,
    );
  }
}

export function checkNamespace(construct: string, prop: string, name: string): void {
  if (typeof name !== 'string' || !LABEL.test(name) || name.length > 63) {
    throw propError(
      construct,
      prop,
      name,
      "use a Kubernetes namespace name: lowercase letters, digits and '-', starting and ending with a letter or " +
        "digit, at most 63 characters (DNS-1123 label), e.g. 'workqueue'",
    );
  }
}

export function checkStorageClass(construct: string, prop: string, name: string): void {
  if (typeof name !== 'string' || !SUBDOMAIN.test(name) || name.length > 253) {
    throw propError(
      construct,
      prop,
      name,
      "use a StorageClass name of the cluster: lowercase letters, digits, '-' and '.' (DNS-1123 subdomain), " +
        "e.g. 'standard'; `kubectl get storageclass` lists them",
    );
  }
}
