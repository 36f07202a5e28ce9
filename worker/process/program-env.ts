/**
 * Variables the worker reads its own credentials from, withheld from the programs it runs
 * (spawn and persistent modes) unless --pass-env names them. Each says when its value is a
 * secret: MARATHON_URL only when it carries user:password (or cannot be read at all).
 */
const WORKER_SECRETS: Readonly<Record<string, (value: string) => boolean>> = {
  AMQP_URL: () => true,
  MARATHON_TOKEN: () => true,
  MARATHON_URL: (value) => {
    try {
      const url = new URL(value);
      return url.username !== '' || url.password !== '';
    } catch {
      return true;
    }
  },
};

/** The names --pass-env accepts. */
export const WITHHELD_VARIABLES: readonly string[] = Object.keys(WORKER_SECRETS);

/**
 * The environment programs start from: the worker's own, without its credentials except those
 * named in `passEnv`.
 */
export function programEnv(passEnv: readonly string[], env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { ...env };
  for (const [name, isSecret] of Object.entries(WORKER_SECRETS)) {
    const value = out[name];
    if (value !== undefined && !passEnv.includes(name) && isSecret(value)) delete out[name];
  }
  return out;
}
