import { UsageError } from '../worker/command-line/errors';

/** {{NAME}}: a value filled in at deploy time. */
const PLACEHOLDER = /\{\{([A-Z0-9_]+)\}\}/g;

/** A string that starts as a URL: placeholders in it are parts of a URL, not plain text. */
const URL_TEMPLATE = /^[a-z][a-z0-9+.-]*:\/\//i;

/** Where the next URL of a comma-separated list (the nodes of a broker cluster) starts. */
const NEXT_URL = /,(?=[a-z][a-z0-9+.-]*:\/\/)/i;

/**
 * Replaces every {{NAME}} in `value` (deep) from `given` (flags), else from the environment.
 * Inside a URL, a value is percent-encoded (user, password, path, query), so that a password holding
 * @ / # cannot move the URL to another host; a value standing for the host may hold none of them.
 * A comma-separated list of URLs (a broker cluster's nodes) is filled URL by URL.
 * Elsewhere (an environment value, an image tag) the value goes in as it is.
 * Unfilled placeholders are an error that lists them; values never appear in the message.
 */
export function fillPlaceholders<T>(
  value: T,
  given: Readonly<Record<string, string | undefined>>,
  env: NodeJS.ProcessEnv,
  what: string,
): T {
  const missing = new Set<string>();
  const fillString = (template: string): string => {
    if (URL_TEMPLATE.test(template) && NEXT_URL.test(template)) return template.split(NEXT_URL).map(fillOne).join(',');
    return fillOne(template);
  };
  const fillOne = (template: string): string => {
    const host = URL_TEMPLATE.test(template) ? hostRange(template) : undefined;
    return template.replace(PLACEHOLDER, (m, name: string, at: number) => {
      const found = given[name] ?? env[name];
      if (found === undefined) {
        missing.add(name);
        return m;
      }
      if (!host) return found;
      if (at < host.start || at >= host.end) return encodeURIComponent(found);
      if (/[@/?#\\\s]/.test(found)) {
        const holds = '@, /, ?, #, \\ or a blank';
        throw new UsageError(`${what}: {{${name}}} stands for a host in a URL, but its value holds ${holds}`);
      }
      return found;
    });
  };
  const fill = (v: unknown): unknown => {
    if (typeof v === 'string') return fillString(v);
    if (Array.isArray(v)) return v.map(fill);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]));
    return v;
  };
  const out = fill(value) as T;
  if (missing.size > 0) {
    const names = [...missing];
    throw new UsageError(
      `${what} needs ${names.map((n) => `{{${n}}}`).join(', ')}: ` +
        `set ${names.map((n) => `$${n}`).join(', ')}${names.includes('TAG') ? ' or pass -t TAG' : ''}`,
    );
  }
  return out;
}

/** Where host[:port] stands in a URL template: after the last @ of the authority, up to its end. */
function hostRange(template: string): { start: number; end: number } {
  const authority = template.indexOf('://') + 3;
  const rest = template.slice(authority).search(/[/?#]/);
  const end = rest === -1 ? template.length : authority + rest;
  const at = template.lastIndexOf('@', end - 1);
  return { start: at >= authority ? at + 1 : authority, end };
}
