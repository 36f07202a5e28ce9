import { Token } from 'cdktf';

/**
 * Text the user gave, as Terraform reads it literally. In Terraform's JSON syntax every string is a template:
 * `${...}` would be evaluated and `%{...}` run as a directive, so an env value `${x}` fails the plan and a queue
 * `a%{if true}b%{endif}` silently becomes `ab`. Strings holding our own tokens are references, left as they are.
 */
export function terraformLiteral(text: string): string {
  // Replacement functions: in a replacement string `$$` would itself mean one `$`.
  return Token.isUnresolved(text) ? text : text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/** terraformLiteral on every string of a plain JSON value (a Kubernetes object), keys included. */
export function terraformLiterals<T>(value: T): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return terraformLiteral(v);
    if (Array.isArray(v)) return v.map(walk);
    if (v !== null && typeof v === 'object')
      return Object.fromEntries(Object.entries(v).map(([k, x]) => [terraformLiteral(k), walk(x)]));
    return v;
  };
  return walk(value) as T;
}
