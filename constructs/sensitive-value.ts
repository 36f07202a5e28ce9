import {
  DefaultTokenResolver,
  Fn,
  StringConcat,
  TerraformStack,
  TerraformVariable,
  Token,
  Tokenization,
  ref,
} from 'cdktf';
import type { Construct } from 'constructs';
import { propError } from './prop-error';

/**
 * The one rule for secrets given to the constructs (Broker passwords, secretEnv values, a
 * password in a broker URL): the value must resolve to Terraform expressions that hold no plain
 * text. Being a token is not enough: a Lazy producing text, a local, a variable that is not
 * sensitive (or has a default) and `Fn.lower('...')` are all tokens that write or show the
 * value in plain text. Accepted: references to sensitive variables without a default, and to
 * resource and data source attributes (random_password.x.result), through any functions.
 */

const RESOLVER = new DefaultTokenResolver(new StringConcat());

/** What to use instead, said by every refusal. */
const FIX =
  'use a TerraformVariable declared sensitive: true without a default (its .stringValue), or an attribute ' +
  "of a resource that makes or holds the secret (random_password's result, a secret manager's data source)";

/** References that are not resource or data source attributes (each.value, path.module...), or literals. */
const NOT_ATTRIBUTES = new Set(['count', 'each', 'path', 'terraform', 'self', 'module', 'true', 'false', 'null']);

type Part = { readonly text: string } | { readonly expr: string };

/**
 * Refuses `value` unless it is a sensitive expression (see above); the error names the
 * construct, the prop and the reference at fault, never the value.
 */
export function checkSecret(scope: Construct, construct: string, prop: string, value: string, hint = ''): void {
  const parts = resolvedParts(scope, value);
  const problem = typeof parts === 'string' ? parts : partsProblem(scope, parts);
  if (problem !== undefined) throw secretError(construct, prop, '***', problem, hint);
}

/**
 * Refuses an amqp(s):// URL whose password would be in plain text: the password must be one
 * sensitive expression (optionally encoded by urlEncodedSecret), and a URL that is one
 * expression as a whole must be sensitive, since it may hold one. A comma-separated list (the
 * nodes of a cluster, as Broker.url gives them) is checked URL by URL.
 */
export function checkUrlSecret(scope: Construct, construct: string, prop: string, url: string): void {
  const parts = resolvedParts(scope, url);
  if (typeof parts === 'string') throw secretError(construct, prop, '***', parts, '');
  for (const one of splitAtCommas(parts)) checkOneUrl(scope, construct, prop, url, one);
}

/** The URLs of a list: literal commas separate them; a comma inside an expression belongs to it. */
function splitAtCommas(parts: readonly Part[]): Part[][] {
  const urls: Part[][] = [[]];
  for (const part of parts) {
    if ('expr' in part) {
      urls[urls.length - 1].push(part);
      continue;
    }
    part.text.split(',').forEach((text, i) => {
      if (i > 0) urls.push([]);
      if (text) urls[urls.length - 1].push({ text });
    });
  }
  return urls.filter((u) => u.length > 0);
}

function checkOneUrl(scope: Construct, construct: string, prop: string, whole: string, parts: readonly Part[]): void {
  const exprs = parts.flatMap((p) => ('expr' in p ? [p.expr] : []));
  if (parts.length === 1 && exprs.length === 1) {
    const problem = partsProblem(scope, parts);
    if (problem !== undefined) {
      throw secretError(construct, prop, '***', problem, '; a URL without a password can be given as a literal');
    }
    return;
  }
  // Expressions stand in as plain words so the URL parser finds the user info around them.
  const marker = (i: number) => `wqexpr${i}x`;
  let parsed: URL;
  try {
    parsed = new URL(
      parts
        .map((p) => ('expr' in p ? marker(exprs.indexOf(p.expr)) : p.text))
        .join('')
        .trim(),
    );
  } catch {
    throw propError(construct, prop, '***', 'give an amqp://user:password@host[:port][/vhost] URL');
  }
  if (!parsed.password) return;
  const at = exprs.findIndex((_e, i) => parsed.password === marker(i));
  if (at < 0) {
    const joined = exprs.some((_e, i) => parsed.password.includes(marker(i)));
    const problem = joined ? 'a password joining a literal to a token' : 'a literal password';
    parsed.password = '***';
    const shown = Token.isUnresolved(whole) ? '***' : parsed.toString();
    throw secretError(construct, prop, shown, problem, '; or pass the whole URL as one sensitive value');
  }
  const problem = partsProblem(scope, [{ expr: withoutUrlEncoding(scope, exprs[at]) }]);
  if (problem !== undefined) throw secretError(construct, prop, '***', `its password, ${problem}`, '');
}

/** A password token percent-encoded for a URL's user info by Terraform at apply time. */
export function urlEncodedSecret(password: string): string {
  // Terraform's urlencode writes a space as '+', which a URL's user info would keep as '+'.
  return Fn.replace(Fn.urlencode(password), '+', '%20');
}

/** The expression inside urlEncodedSecret's wrapping, whose literals ('+', '%20') are not the secret. */
function withoutUrlEncoding(scope: Construct, expr: string): string {
  const probe = '__wq_inner__';
  const wrapped = resolvedParts(scope, urlEncodedSecret(Token.asString(ref(probe, TerraformStack.of(scope)))));
  if (typeof wrapped === 'string' || wrapped.length !== 1 || !('expr' in wrapped[0])) return expr;
  const [before, after] = wrapped[0].expr.split(probe);
  return expr.startsWith(before) && expr.endsWith(after) ? expr.slice(before.length, expr.length - after.length) : expr;
}

function secretError(construct: string, prop: string, shown: string, problem: string, hint: string): Error {
  const where = 'would be written in plain text into cdk.tf.json (or shown by terraform plan)';
  return propError(construct, prop, shown, `${problem} ${where}: ${FIX}${hint}`);
}

/** The value as Terraform will see it: literal text and `${...}` expressions, or why it cannot be resolved. */
function resolvedParts(scope: Construct, value: string): Part[] | string {
  let resolved: unknown;
  try {
    resolved = Tokenization.resolve(value, { scope, resolver: RESOLVER });
  } catch {
    return 'a token that cannot be resolved where the construct is created';
  }
  if (typeof resolved !== 'string') return 'a token that does not resolve to a string';
  const parts: Part[] = [];
  let text = '';
  let i = 0;
  while (i < resolved.length) {
    if (resolved.startsWith('$${', i)) {
      text += '${';
      i += 3;
    } else if (resolved.startsWith('${', i)) {
      const end = expressionEnd(resolved, i + 2);
      if (end < 0) return 'a token whose Terraform expression cannot be read';
      if (text) parts.push({ text });
      text = '';
      parts.push({ expr: resolved.slice(i + 2, end) });
      i = end + 1;
    } else {
      text += resolved[i++];
    }
  }
  if (text) parts.push({ text });
  return parts;
}

/** Index of the `}` closing an expression that starts at `from`, skipping quoted strings; -1 if none. */
function expressionEnd(s: string, from: number): number {
  let depth = 0;
  for (let i = from; i < s.length; i++) {
    const c = s[i];
    if (c === '"') {
      for (i++; i < s.length && s[i] !== '"'; i++) if (s[i] === '\\') i++;
    } else if (c === '{') {
      depth++;
    } else if (c === '}') {
      if (depth === 0) return i;
      depth--;
    }
  }
  return -1;
}

function partsProblem(scope: Construct, parts: readonly Part[]): string | undefined {
  if (parts.length === 0 || parts.some((p) => 'text' in p)) return 'a literal, or a literal joined to a token,';
  for (const p of parts) {
    const problem = 'expr' in p ? expressionProblem(scope, p.expr) : undefined;
    if (problem !== undefined) return problem;
  }
  return undefined;
}

/**
 * Reads an expression as references, function calls, parentheses, brackets and commas; anything
 * else (a quoted string, a number, an operator, a heredoc) is literal text or cannot be checked.
 */
function expressionProblem(scope: Construct, expr: string): string | undefined {
  // Whitespace | punctuation | a name (function or reference head) and its attribute path | anything else.
  const token = /\s+|[(),[\]]|([A-Za-z_][\w-]*(?:::[\w-]+)*)((?:\.[A-Za-z_][\w-]*|\.\*|\[\d+\])*)|(.)/gy;
  for (let m = token.exec(expr); m !== null && m[0] !== ''; m = token.exec(expr)) {
    const [, name, path, other] = m;
    if (other !== undefined) {
      return 'an expression holding a literal (a quoted string, a number) or an operator,';
    }
    if (name === undefined) continue;
    if (/^\s*\(/.test(expr.slice(token.lastIndex)) && !path) continue; // a function call
    const problem = referenceProblem(scope, name, path.split('.').filter(Boolean));
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function referenceProblem(scope: Construct, head: string, path: readonly string[]): string | undefined {
  const shown = [head, ...path].join('.');
  if (head === 'var') {
    const id = path[0]?.replace(/\[\d+\]$/, '');
    const variable = TerraformStack.of(scope)
      .node.findAll()
      .find((c): c is TerraformVariable => c instanceof TerraformVariable && c.friendlyUniqueId === id);
    if (!variable) return `${shown}, not a TerraformVariable of this stack,`;
    if (!variable.sensitive) return `${shown}, a TerraformVariable not declared sensitive: true,`;
    if (variable.default !== undefined) return `${shown}, a sensitive TerraformVariable with a default,`;
    return undefined;
  }
  if (head === 'local') return `${shown}, a local value,`;
  if (NOT_ATTRIBUTES.has(head) || path.length === 0) {
    return `${shown}, not a sensitive variable or a resource or data source attribute,`;
  }
  return undefined;
}
