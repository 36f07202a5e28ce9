import type { Construct } from 'constructs';
import { numberProblem, wholeNumberProblem } from '../worker/consumer/number-rules';
import { queueNameProblem } from '../worker/consumer/queue-names';
import { retryDelaysProblem, retryQueueNames, type RetryDelays } from '../worker/consumer/retry-delays';
import { CONTROL_CHARACTERS } from '../worker/observability/printable';
import { IMAGE_TAG_WORDS, isImageTag } from './image-tag';

/**
 * Who a construction error is about: the class and where it sits in the tree, e.g.
 * "WorkQueueWorker (media/thumbnailers)", so a stack with several of them says which one.
 */
export function constructLabel(kind: string, construct: Construct): string {
  return `${kind} (${construct.node.path})`;
}

/** An error that names the construct and prop, shows the value (escaped, cut) and says the fix. */
export function propError(construct: string, prop: string, value: unknown, fix: string): Error {
  const shown =
    typeof value === 'number'
      ? String(value) // NaN and Infinity as themselves: JSON would say null
      : typeof value !== 'string'
        ? JSON.stringify(value)
        : value.length > 60
          ? `'${escaped(value.slice(0, 57))}...' (${value.length} chars)`
          : `"${escaped(value)}"`;
  return new Error(`${construct}: invalid ${prop} ${shown}: ${fix}`);
}

/**
 * JSON's string escapes, plus the control characters JSON leaves raw (DEL, C1, U+2028/9): one line, no
 * terminal codes.
 */
function escaped(text: string): string {
  const rest = new RegExp(CONTROL_CHARACTERS.source, 'g');
  return JSON.stringify(text)
    .slice(1, -1)
    .replace(rest, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Text that goes into a Dockerfile, a command line or a JSON app as one line: no control characters. */
export function checkNoControlChars(construct: string, prop: string, value: string, fix: string): void {
  if (CONTROL_CHARACTERS.test(value)) {
    throw propError(construct, prop, value, `it holds a control character (newline, NUL, escape...): ${fix}`);
  }
}

/** A program argument or environment value: a C string, which ends at the first NUL. */
export function checkNoNul(construct: string, prop: string, value: string): void {
  if (value.includes('\0')) {
    throw propError(
      construct,
      prop,
      value,
      'a program argument or environment variable cannot hold a NUL character: remove it',
    );
  }
}

/** Docker's image reference grammar: [registry[:port]/]path components, lowercase. */
const IMAGE_REGISTRY = '(?:[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?/)?';
const IMAGE_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const IMAGE_NAME = new RegExp(`^${IMAGE_REGISTRY}${IMAGE_COMPONENT}(?:/${IMAGE_COMPONENT})*$`);

/** Where images are pushed and pulled: host[:port] and optional path components, no scheme, no tag. */
const REGISTRY = new RegExp(`^[a-zA-Z0-9](?:[a-zA-Z0-9.-]*[a-zA-Z0-9])?(?::[0-9]+)?(?:/${IMAGE_COMPONENT})*$`);

export function checkRegistry(construct: string, prop: string, registry: string): void {
  const port = /^[^/]*:(\d+)(?:\/|$)/.exec(typeof registry === 'string' ? registry : '')?.[1];
  if (
    typeof registry !== 'string' ||
    !REGISTRY.test(registry) ||
    (port !== undefined && !(+port >= 1 && +port <= 65535))
  ) {
    throw propError(
      construct,
      prop,
      // A login written into it is not shown back.
      typeof registry === 'string' ? registry.replace(/^[^/]*@/, '***@') : registry,
      "use a registry host with an optional port and path, no scheme, e.g. 'registry.example.com:5000/team' " +
        "or 'ghcr.io/acme'",
    );
  }
}

export function checkImage(construct: string, name: string, tag: string | undefined): void {
  if (!IMAGE_NAME.test(name)) {
    throw propError(
      construct,
      'imageName',
      name,
      'use a Docker image name: lowercase path components of letters, digits ' +
        "and '.', '_', '-', separated by '/', optionally after registry[:port]/ (no tag)",
    );
  }
  if (tag !== undefined && !isImageTag(tag)) {
    throw propError(construct, 'imageTag', tag, `use a Docker tag: ${IMAGE_TAG_WORDS}`);
  }
}

/** A Docker volume name, also the name of a Marathon app's local persistent volume: never a path. */
export function checkVolumeName(construct: string, prop: string, name: string): void {
  if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name ?? '') || name.includes('..')) {
    throw propError(
      construct,
      prop,
      name,
      "use a volume name: letters, digits, '_', '.' and '-', starting with a letter or digit, " +
        "no '/' or '..' (in Marathon apps it names the local persistent volume)",
    );
  }
}

/** A queue the Broker declares, or a fleet consumes: its dead-letter queue's name must fit too. */
export function checkQueueName(construct: string, prop: string, name: string): void {
  const problem = queueNameProblem(name, true);
  if (problem) throw propError(construct, prop, name, problem);
}

/** Marathon app id segment rules, which also make valid Docker container and host names. */
const MARATHON_NAME = /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/;

export function checkMarathonName(construct: string, prop: string, name: string): void {
  if (!MARATHON_NAME.test(name ?? '') || name.length > 63) {
    throw propError(
      construct,
      prop,
      name,
      "use lowercase letters, digits, '-' and '.', starting and ending with a letter or digit, " +
        'at most 63 characters (Marathon app ids and host names)',
    );
  }
}

/** The largest count the platforms take: Kubernetes' replica counts and KEDA's fields are 32-bit integers. */
export const MAX_COUNT = 2_147_483_647;

export function checkCount(
  construct: string,
  prop: string,
  value: number | undefined,
  min: number,
  max = MAX_COUNT,
): void {
  if (value === undefined) return;
  const problem = wholeNumberProblem(value, min);
  if (problem) throw propError(construct, prop, value, `use ${problem}`);
  if (value > max) throw propError(construct, prop, value, `use at most ${max}`);
}

/**
 * A broker's node count: 1, or an odd number of at least 3. Quorum queues stay available while a
 * majority of their members is up, so an even count survives no more losses than the odd count below it.
 */
export function checkNodes(construct: string, prop: string, value: number): void {
  const odd = Number.isInteger(value) && (value === 1 || (value >= 3 && value % 2 === 1));
  if (odd && value <= MAX_NODES) return;
  throw propError(
    construct,
    prop,
    value,
    odd
      ? `use at most ${MAX_NODES}: every quorum queue has a member on each node, and each member replicates ` +
          'every message (RabbitMQ advises at most 7)'
      : 'use 1, or an odd number of at least 3 (3, 5, 7): a quorum queue needs a majority of its nodes up, ' +
          'so 3 nodes survive the loss of 1, while 2 survive none and 4 no more than 3 do',
  );
}

/** More nodes than any cluster needs: every one holds a member of every quorum queue. */
const MAX_NODES = 99;

export function checkPositive(construct: string, prop: string, value: number | undefined): void {
  const problem = value === undefined ? undefined : numberProblem(value, 0, true);
  if (problem) throw propError(construct, prop, value, `use ${problem}`);
}

/** A broker user name: it goes into RabbitMQ definitions, amqp:// URLs and the entrypoint's checks unescaped. */
export function checkUserName(construct: string, prop: string, name: string): void {
  if (!/^[A-Za-z0-9_.-]+$/.test(name ?? ''))
    throw propError(construct, prop, name, "use letters, digits, '_', '.' and '-'");
}

/** Names a POSIX environment can carry and a shell can read: no '=', no newline, no leading digit. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * A queue's retry delays (retryDelaySeconds, retryBackoff, maxRetryDelaySeconds under `prefix`): the worker's
 * rule for its --retry-* flags (retry-delays.ts), and the longest delay queue's name must fit as well.
 */
export function checkRetryDelays(
  construct: string,
  prefix: string,
  q: RetryDelays & { readonly name: string; readonly maxAttempts: number },
): void {
  const names = {
    delay: `${prefix}retryDelaySeconds`,
    backoff: `${prefix}retryBackoff`,
    max: `${prefix}maxRetryDelaySeconds`,
  };
  const { retryDelaySeconds, retryBackoff, maxRetryDelaySeconds } = q;
  // As text: JSON would show NaN and Infinity as null.
  const given =
    `retryDelaySeconds ${retryDelaySeconds}, retryBackoff ${retryBackoff}, ` +
    `maxRetryDelaySeconds ${maxRetryDelaySeconds}`;
  const problem = retryDelaysProblem(q, q.maxAttempts, names);
  if (problem) throw propError(construct, `${prefix}retry delays`, given, problem);
  const longest = retryQueueNames(q.name, q, q.maxAttempts).at(-1);
  const tooLong = longest === undefined ? undefined : queueNameProblem(longest);
  if (tooLong) throw propError(construct, `${prefix}retry delays`, given, `its delay queue '${longest}': ${tooLong}`);
}
