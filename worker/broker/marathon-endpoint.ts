/** Marathon's address and the headers that authenticate to it. */
export interface MarathonEndpoint {
  /** scheme://host:port, without credentials: safe to print. */
  readonly origin: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The URL of an API path such as /v2/apps/broker/tasks (under any base path of the Marathon URL). */
  url(path: string): URL;
}

/**
 * Reads a Marathon URL: basic auth from its user:password@, or a DC/OS-style token sent as
 * `Authorization: token=...`; the credentials never stay in the URLs it builds. Throws on a
 * malformed URL, or one that is not http(s).
 */
export function marathonEndpoint(marathonUrl: string, token: string | undefined): MarathonEndpoint {
  const base = new URL(marathonUrl);
  // Marathon speaks HTTP: another scheme would only fail later, at the first call.
  if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new TypeError(`not an http(s) URL`);
  const headers: Record<string, string> = { accept: 'application/json' };
  if (base.username) {
    const userPass = `${decodeURIComponent(base.username)}:${decodeURIComponent(base.password)}`;
    headers.authorization = `Basic ${Buffer.from(userPass).toString('base64')}`;
  }
  if (token) headers.authorization = `token=${token}`;
  base.username = '';
  base.password = '';
  const prefix = base.pathname.replace(/\/+$/, '');
  return { origin: base.origin, headers, url: (path) => new URL(`${prefix}${path}`, base) };
}

/** A Marathon app id as a path below /v2/apps/: without its leading slashes ('/worker' → 'worker'). */
export function appIdPath(id: string): string {
  return id.replace(/^\/+/, '');
}
