/**
 * Hides broker passwords. Every line the worker prints goes through a Redactor built from
 * the broker URL, so a password cannot leak through an error message that quotes the URL.
 */
export class Redactor {
  private readonly secrets: string[];

  constructor(url: string) {
    this.secrets = passwordForms(url);
  }

  text(line: string): string {
    let out = line.replace(/(amqps?:\/\/[^:@/\s]*:)[^@\s]*@/g, '$1***@');
    for (const secret of this.secrets) out = out.split(secret).join('***');
    return out;
  }
}

/** The URL with its password replaced by ***, for showing where the worker connects. */
export function redactUrl(url: string): string {
  return new Redactor(url).text(url);
}

function passwordForms(url: string): string[] {
  let password = '';
  try {
    password = new URL(url).password;
  } catch {
    // An unparsable URL is rejected before anything is logged; the regex still covers it.
    return [];
  }
  if (!password) return [];
  const forms = new Set([password]);
  try {
    forms.add(decodeURIComponent(password));
  } catch {
    // A malformed %-escape has no decoded form; the raw one is covered.
  }
  // Very short passwords would blank out ordinary words; the URL regex still hides them in URLs.
  return [...forms].filter((s) => s.length >= 4);
}
