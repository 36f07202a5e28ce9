import { UsageError } from '../worker/errors';

/**
 * Replaces every {{NAME}} in `value` (deep) from `given` (flags), else from the environment.
 * Unfilled placeholders are an error that lists them; values never appear in the message.
 */
export function fillPlaceholders<T>(value: T, given: Readonly<Record<string, string | undefined>>, env: NodeJS.ProcessEnv, what: string): T {
  const missing = new Set<string>();
  const fill = (v: unknown): unknown => {
    if (typeof v === 'string') {
      return v.replace(/\{\{([A-Z0-9_]+)\}\}/g, (m, name: string) => {
        const found = given[name] ?? env[name];
        if (found === undefined) {
          missing.add(name);
          return m;
        }
        return found;
      });
    }
    if (Array.isArray(v)) return v.map(fill);
    if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, fill(x)]));
    return v;
  };
  const out = fill(value) as T;
  if (missing.size > 0) {
    const names = [...missing];
    throw new UsageError(`${what} needs ${names.map((n) => `{{${n}}}`).join(', ')}: set ${names.map((n) => `$${n}`).join(', ')}${names.includes('TAG') ? ' or pass -t TAG' : ''}`);
  }
  return out;
}
