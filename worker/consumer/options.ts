import { availableParallelism } from 'node:os';
import { UsageError } from '../command-line/errors';
import { brokerUrlList, checkBrokerUrls, splitBrokerUrl } from '../broker/login';
import { WITHHELD_VARIABLES } from '../process/program-env';
import { printable } from '../observability/printable';
import { numberProblem, wholeNumberProblem } from './number-rules';
import { deadLetterQueueName, queueNameProblem } from './queue-names';
import {
  DEFAULT_MAX_RETRY_DELAY_SECONDS,
  DEFAULT_RETRY_BACKOFF,
  DEFAULT_RETRY_DELAY_SECONDS,
  retryDelaysProblem,
  retryQueueNames,
} from './retry-delays';

/** Everything that configures a worker; the CLI flags map onto it one to one. */
export interface WorkerOptions {
  /**
   * amqp:// or amqps:// URL of the broker; for a cluster, several (a list, or strings that are
   * comma-separated lists: `amqp://u:p@a,amqp://u:p@b`). Each connection attempt tries them in a
   * random order; after a lost connection the others come before the one just lost.
   * @default $AMQP_URL (which may be such a list), else amqp://localhost:5672
   */
  readonly url?: string | readonly string[];
  /**
   * Name of the broker to discover (Marathon app, Mesos-DNS SRV record, or host name; NAME:PORT
   * skips discovery), or several names; every healthy task or SRV target found is a candidate,
   * picked as the URLs of `url` are. Their host and port replace those of `url`, whose credentials
   * and vhost are kept. Discovered again on every connection attempt.
   * @default - the hosts in `url`
   */
  readonly broker?: string | readonly string[];
  /** Queue to consume. Required. */
  readonly queue: string;
  /** Program to run for each message (an argv, never a shell line). Required unless `module` is given. */
  readonly program?: string;
  /** Arguments passed to the program. @default [] */
  readonly args?: readonly string[];
  /**
   * In-process mode: a JavaScript module whose default export handles each message, instead of
   * a program. @default - spawn mode, PROGRAM runs once per message
   */
  readonly module?: string;
  /**
   * Persistent mode: PROGRAM starts once per concurrency slot and stays up, taking messages as
   * JSON lines on stdin and answering on stdout (see README). @default false
   */
  readonly persistent?: boolean;
  /** Programs running at once. @default the number of CPUs */
  readonly concurrency?: number;
  /**
   * Unacked messages the broker may send ahead. In persistent mode they are also the messages in
   * flight, shared among the programs.
   * @default concurrency in spawn mode; 64 × concurrency in persistent and in-process modes
   */
  readonly prefetchCount?: number;
  /** Handle this many messages, then stop. @default - no limit */
  readonly count?: number;
  /** Seconds a program may run before it is stopped and the attempt fails. @default - no limit */
  readonly timeoutSeconds?: number;
  /** Failed attempts before a message is dead-lettered; 0 retries forever. @default 5 */
  readonly maxAttempts?: number;
  /**
   * Seconds a failed message waits before its first retry, in a delay queue `QUEUE.retry.<ms>` (declared when
   * missing) that hands it back to the queue; the n-th retry waits retryDelaySeconds × retryBackoff^(n-1), at
   * most maxRetryDelaySeconds. 0 retries at once, at the tail of the queue. @default 0
   */
  readonly retryDelaySeconds?: number;
  /** Factor between consecutive retry delays (at least 1). @default 2 */
  readonly retryBackoff?: number;
  /** Longest retry delay, in seconds. @default 3600 */
  readonly maxRetryDelaySeconds?: number;
  /** Queue that receives messages whose attempts ran out. @default `${queue}.dlq` */
  readonly deadLetterQueue?: string;
  /** Seconds running programs get to finish on SIGTERM before they are stopped. @default 30 */
  readonly shutdownGraceSeconds?: number;
  /** Port of the /healthz and /metrics HTTP server. @default - no server */
  readonly healthPort?: number;
  /** Seconds to keep trying the first connection before giving up. @default 60 */
  readonly connectTimeoutSeconds?: number;
  /** PEM file of the CA that signed the broker's certificate (amqps://). @default - the system's CAs */
  readonly caFile?: string;
  /** PEM client certificate for amqps:// brokers that require one. @default - no client certificate */
  readonly certFile?: string;
  /** PEM private key of `certFile`. @default - no client certificate */
  readonly keyFile?: string;
  /**
   * The worker's own credentials (AMQP_URL, MARATHON_TOKEN, a MARATHON_URL with a password) are
   * withheld from programs; these names are passed to them all the same. @default []
   */
  readonly passEnv?: readonly string[];
}

/** WorkerOptions with every default filled in. */
type OptionalAfterDefaults = 'count' | 'timeoutSeconds' | 'healthPort' | 'module' | 'caFile' | 'certFile' | 'keyFile';
export type ResolvedWorkerOptions = Required<Omit<WorkerOptions, OptionalAfterDefaults | 'url' | 'broker'>> &
  Pick<WorkerOptions, OptionalAfterDefaults> & {
    /** Every broker URL, one list in the order given. */
    readonly urls: readonly string[];
    /** The same URLs as one comma-separated list: what messages and the redactor are given. */
    readonly url: string;
    /** Every --broker name, in the order given; empty without discovery. */
    readonly brokers: readonly string[];
  };

export const DEFAULT_URL = 'amqp://localhost:5672';
export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_SHUTDOWN_GRACE_SECONDS = 30;
export const DEFAULT_CONNECT_TIMEOUT_SECONDS = 60;
/**
 * Messages per concurrency slot the broker may send ahead in persistent and in-process modes:
 * cheap handlers would otherwise wait a broker round trip for each message. 64 puts 2 to 4 slots in
 * the 100 to 300 that RabbitMQ's prefetch guidance names for throughput; 32 fed a persistent program
 * batches too small (a write, a read and an ack frame for every few messages).
 */
export const PIPELINE_DEPTH = 64;

/** Fills in defaults once and validates; throws UsageError naming the bad option. */
export function resolveOptions(options: WorkerOptions, env: NodeJS.ProcessEnv = process.env): ResolvedWorkerOptions {
  const concurrency = options.concurrency ?? availableParallelism();
  const urls = givenBrokerUrls(options.url, env);
  const resolved: ResolvedWorkerOptions = {
    urls,
    url: urls.join(','),
    brokers: options.broker === undefined ? [] : typeof options.broker === 'string' ? [options.broker] : options.broker,
    queue: options.queue,
    program: options.program ?? '',
    args: options.args ?? [],
    module: options.module,
    concurrency,
    prefetchCount:
      options.prefetchCount ??
      (options.persistent || options.module !== undefined ? PIPELINE_DEPTH * concurrency : concurrency),
    persistent: options.persistent ?? false,
    count: options.count,
    timeoutSeconds: options.timeoutSeconds,
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryDelaySeconds: options.retryDelaySeconds ?? DEFAULT_RETRY_DELAY_SECONDS,
    retryBackoff: options.retryBackoff ?? DEFAULT_RETRY_BACKOFF,
    maxRetryDelaySeconds: options.maxRetryDelaySeconds ?? DEFAULT_MAX_RETRY_DELAY_SECONDS,
    deadLetterQueue: options.deadLetterQueue ?? deadLetterQueueName(options.queue),
    shutdownGraceSeconds: options.shutdownGraceSeconds ?? DEFAULT_SHUTDOWN_GRACE_SECONDS,
    healthPort: options.healthPort,
    connectTimeoutSeconds: options.connectTimeoutSeconds ?? DEFAULT_CONNECT_TIMEOUT_SECONDS,
    caFile: options.caFile,
    certFile: options.certFile,
    keyFile: options.keyFile,
    passEnv: options.passEnv ?? [],
  };
  validate(resolved);
  return resolved;
}

/** The broker URLs of -u/--url (each value may be a list), else of $AMQP_URL, else the default; not yet checked. */
export function givenBrokerUrls(url: string | readonly string[] | undefined, env: NodeJS.ProcessEnv): string[] {
  const given = url ?? env.AMQP_URL ?? DEFAULT_URL;
  return (typeof given === 'string' ? [given] : given).flatMap(brokerUrlList);
}

function validate(o: ResolvedWorkerOptions): void {
  checkQueueName('--queue', o.queue);
  checkQueueName('--dead-letter-queue', o.deadLetterQueue);
  if (o.deadLetterQueue === o.queue) {
    throw new UsageError(`--dead-letter-queue must differ from --queue (both are '${o.queue}')`);
  }
  if (o.module !== undefined && o.program) {
    throw new UsageError(
      `give either --module or a PROGRAM, not both (got --module ${o.module} and PROGRAM ${o.program})`,
    );
  }
  if (o.module === undefined && !o.program) {
    throw new UsageError('missing PROGRAM: give the program to run after the options, e.g. -- cat (or --module FILE)');
  }
  if (o.persistent && o.module !== undefined)
    throw new UsageError('--persistent runs a PROGRAM; it does not go with --module');
  if (o.module === '') throw new UsageError('--module needs a file, e.g. --module ./handler.js');
  checkBrokerUrls('--url', o.urls);
  checkTls(o);
  checkBrokerNames(o.brokers, o.urls);
  checkInteger('--concurrency', o.concurrency, 1, 10_000);
  checkInteger('--prefetch-count', o.prefetchCount, 1, 65_535);
  if (o.count !== undefined) checkInteger('--count', o.count, 1, Number.MAX_SAFE_INTEGER);
  checkInteger('--max-attempts', o.maxAttempts, 0, 1_000_000);
  checkRetryDelays(o);
  if (o.timeoutSeconds !== undefined) checkNumber('--timeout', o.timeoutSeconds, 0.001);
  checkNumber('--shutdown-grace', o.shutdownGraceSeconds, 0);
  checkNumber('--connect-timeout', o.connectTimeoutSeconds, 0.001);
  if (o.healthPort !== undefined) checkInteger('--health-port', o.healthPort, 0, 65_535);
  for (const name of o.passEnv) {
    if (!WITHHELD_VARIABLES.includes(name)) {
      const withheld = WITHHELD_VARIABLES.join(', ');
      throw new UsageError(`--pass-env ${name}: programs get every variable but ${withheld}; name one of those`);
    }
  }
}

function checkQueueName(flag: string, name: string | undefined): void {
  if (!name) throw new UsageError(`missing ${flag}: name the queue to consume, e.g. ${flag} jobs`);
  const problem = queueNameProblem(name);
  if (problem) throw new UsageError(`${flag} '${printable(name, 60)}': ${problem}`);
}

function checkRetryDelays(o: ResolvedWorkerOptions): void {
  const problem = retryDelaysProblem(o, o.maxAttempts, {
    delay: '--retry-delay',
    backoff: '--retry-backoff',
    max: '--max-retry-delay',
  });
  if (problem) throw new UsageError(problem);
  const longest = retryQueueNames(o.queue, o, o.maxAttempts).at(-1);
  const tooLong = longest === undefined ? undefined : queueNameProblem(longest);
  if (tooLong) throw new UsageError(`--queue '${printable(o.queue, 60)}' is too long for its delay queues: ${tooLong}`);
}

function checkTls(o: ResolvedWorkerOptions): void {
  const given = (['caFile', 'certFile', 'keyFile'] as const).filter((k) => o[k] !== undefined);
  const plain = o.urls.findIndex((url) => new URL(url).protocol !== 'amqps:');
  if (given.length > 0 && plain !== -1) {
    const which = o.urls.length === 1 ? '--url' : `--url (URL ${plain + 1} of ${o.urls.length})`;
    const s = o.urls.length === 1 ? ' an amqps:// URL' : ' amqps:// URLs, every one';
    throw new UsageError(`--ca, --cert and --key need${s}; ${which} is ${new URL(o.urls[plain]).protocol}//...`);
  }
  if ((o.certFile === undefined) !== (o.keyFile === undefined)) {
    throw new UsageError(
      `--cert and --key go together: give both (got only ${o.certFile !== undefined ? '--cert' : '--key'})`,
    );
  }
}

/**
 * With --broker, discovery gives host and port, and the URL the rest: user, password, vhost, scheme
 * and query. Several URLs must then agree on it, or which one applies would be chance.
 */
function checkOneLogin(urls: readonly string[]): void {
  const rest = (url: string) => {
    const { address, login, vhost } = splitBrokerUrl(url);
    const { protocol, search } = new URL(address);
    return JSON.stringify([protocol, search, login, vhost]);
  };
  const differs = urls.findIndex((url) => rest(url) !== rest(urls[0]));
  if (differs !== -1) {
    throw new UsageError(
      `with --broker, user, password, vhost and scheme come from --url: its URLs must agree on them ` +
        `(URL ${differs + 1} of ${urls.length} differs from the first), and only host and port may differ`,
    );
  }
}

function checkInteger(flag: string, value: number, min: number, max: number): void {
  const problem = wholeNumberProblem(value, min, max);
  if (problem) throw new UsageError(`${flag} must be ${problem}, not '${value}'`);
}

/** Seconds, as flags give them. */
function checkNumber(flag: string, value: number, min: number): void {
  const problem = numberProblem(value, min);
  if (problem) throw new UsageError(`${flag} must be ${problem} seconds, not '${value}'`);
}

/** --broker names (discovered, the URL giving the rest): each a name, optionally NAME:PORT; the URLs one login. */
export function checkBrokerNames(brokers: readonly string[], urls: readonly string[]): void {
  for (const broker of brokers) {
    if (!/^[A-Za-z0-9._/-]+(:\d{1,5})?$/.test(broker)) {
      throw new UsageError(
        '--broker must be a name (a Marathon app id or host name), optionally NAME:PORT, ' +
          `not '${printable(broker, 60)}'`,
      );
    }
  }
  if (brokers.length > 0) checkOneLogin(urls);
}
