import { brokerUrlList, splitBrokerUrl } from '../broker/login';

/**
 * The user-info of any URL in a line: scheme://user:...@ up to the LAST @ of the URL's text: a
 * password may hold a raw @ (`amqp://u:s3cr@t@host` goes to host), and a raw / ? or # too, which
 * URL parsers take as the end of the authority (`amqp://u:a/b@host`): its text is a secret all the same.
 * A URL's text ends where a list's next URL begins (`,amqp://`): each keeps its host in sight.
 */
const USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:@/?#]*:)(?:(?!,[a-z][a-z0-9+.-]*:\/\/)\S)*@/gi;

/** Shorter passwords are not blanked out of free text (they would hit ordinary words); URLs still hide them. */
const MIN_FREE_TEXT_SECRET = 4;

/**
 * Hides passwords of URLs (the broker's, Marathon's). Every line the worker and the CLI print goes
 * through a Redactor built from the URLs they were given: the URL itself is shown as redactUrl()
 * shows it, the password in every form it can take (as written, percent-encoded, decoded) becomes
 * ***, and so does the user-info of any other URL in the line.
 */
export class Redactor {
  private readonly urls: [string, string][];
  private readonly secrets: string[];

  /** Each of `urls` may be a comma-separated list of URLs (brokerUrlList): every password in it is hidden. */
  constructor(...urls: string[]) {
    const given = [...new Set(urls.flatMap(brokerUrlList))].filter((u) => u.length > 0);
    // Longest first, so that a URL that begins another is not replaced inside it.
    this.urls = given.sort((a, b) => b.length - a.length).map((u) => [u, redactUrl(u)]);
    // Longest first, so that a form containing another is replaced whole.
    this.secrets = [...new Set(given.flatMap(passwordForms))].sort((a, b) => b.length - a.length);
  }

  text(line: string): string {
    let out = line;
    for (const [url, shown] of this.urls) out = out.split(url).join(shown);
    for (const secret of this.secrets) out = out.split(secret).join('***');
    return out.replace(USERINFO, '$1***@');
  }
}

/** The URL with its password replaced by ***, for showing where the worker connects; each URL of a list so. */
export function redactUrl(url: string): string {
  const list = brokerUrlList(url);
  if (list.length > 1) return list.map(redactUrl).join(',');
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url.replace(USERINFO, '$1***@'); // a raw / ? # hid a password from the parser
    // guest:guest and the like: the user would show the password.
    if (parsed.username === parsed.password) parsed.username = '***';
    parsed.password = '***';
    return parsed.toString();
  } catch {
    return url.replace(USERINFO, '$1***@'); // not a URL to connect to, but its text is still hidden
  }
}

/** The password of `url` as written, as URL serializes it, percent-decoded, and as encodeURIComponent writes it. */
function passwordForms(url: string): string[] {
  const forms = new Set<string>();
  const written = writtenPassword(url);
  if (written) forms.add(written);
  // A raw / ? # sends the rest of the password out as the vhost or the query: that part alone is shown too.
  const cut = written?.search(/[/?#]/) ?? -1;
  if (written && cut !== -1) forms.add(written.slice(cut + 1));
  try {
    const serialized = new URL(url).password;
    if (serialized) {
      const { password } = splitBrokerUrl(url).login;
      forms.add(serialized).add(password).add(encodeURIComponent(password));
    }
  } catch {
    // Unparsable or malformed escapes: such a URL is refused before it is used; the written form is covered.
  }
  return [...forms].filter((s) => s.length >= MIN_FREE_TEXT_SECRET);
}

/**
 * The password as it stands in the text of `url`: after the user's ':' up to the last '@' (of the
 * whole URL: a raw / ? # in the password is refused before use, but its text is still a secret).
 */
function writtenPassword(url: string): string | undefined {
  const start = url.indexOf('://');
  if (start === -1) return undefined;
  const rest = url.slice(start + 3);
  const userinfo = rest.slice(0, Math.max(0, rest.lastIndexOf('@')));
  const user = userinfo.search(/[:/?#]/);
  return user === -1 || userinfo[user] !== ':' ? undefined : userinfo.slice(user + 1);
}
