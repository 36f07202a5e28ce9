import { UsageError } from './errors';
import type { WorkerOptions } from '../consumer/options';

/** What the command line asks for. */
export type CliRequest =
  { readonly kind: 'help' } | { readonly kind: 'version' } | { readonly kind: 'run'; readonly options: WorkerOptions };

type Setter = (options: Record<string, unknown>, value: string, flag: string) => void;

const text =
  (key: keyof WorkerOptions): Setter =>
  (o, v) =>
    (o[key] = v);
const number =
  (key: keyof WorkerOptions): Setter =>
  (o, v, flag) => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n)) throw new UsageError(`${flag} needs a number, not '${v}'`);
    o[key] = n;
  };

/** A flag that may be given several times: each value is added to a list. */
const list =
  (key: keyof WorkerOptions): Setter =>
  (o, v) => {
    o[key] = [...((o[key] as string[] | undefined) ?? []), v];
  };

/** Flags that take a value, by every spelling. */
const VALUE_FLAGS: Record<string, Setter> = {
  '-u': list('url'),
  '--url': list('url'),
  '-q': text('queue'),
  '--queue': text('queue'),
  '-p': number('prefetchCount'),
  '--prefetch-count': number('prefetchCount'),
  '-c': number('count'),
  '--count': number('count'),
  '--concurrency': number('concurrency'),
  '--timeout': number('timeoutSeconds'),
  '--max-attempts': number('maxAttempts'),
  '--retry-delay': number('retryDelaySeconds'),
  '--retry-backoff': number('retryBackoff'),
  '--max-retry-delay': number('maxRetryDelaySeconds'),
  '--dead-letter-queue': text('deadLetterQueue'),
  '--shutdown-grace': number('shutdownGraceSeconds'),
  '--health-port': number('healthPort'),
  '--connect-timeout': number('connectTimeoutSeconds'),
  '--module': text('module'),
  '--ca': text('caFile'),
  '--cert': text('certFile'),
  '--key': text('keyFile'),
  '-b': list('broker'),
  '--broker': list('broker'),
  '--pass-env': list('passEnv'),
};

/**
 * Parses `[options] [--] PROGRAM [ARGS...]`. Options end at `--` or at the first word that is
 * not an option, so PROGRAM's own flags (`cat -n`) are left alone.
 */
export function parseArgs(argv: readonly string[]): CliRequest {
  const options: Record<string, unknown> = {};
  let i = 0;
  for (; i < argv.length; i++) {
    const word = argv[i];
    if (word === '--') {
      i++;
      break;
    }
    if (word === '-h' || word === '--help') return { kind: 'help' };
    if (word === '--version') return { kind: 'version' };
    if (word === '--persistent') {
      options.persistent = true;
      continue;
    }
    if (!word.startsWith('-') || word === '-') break;
    const eq = word.startsWith('--') ? word.indexOf('=') : -1;
    const flag = eq === -1 ? word : word.slice(0, eq);
    let inline = eq === -1 ? undefined : word.slice(eq + 1);
    let setter = VALUE_FLAGS[flag];
    if (!setter && !word.startsWith('--') && word.length > 2 && VALUE_FLAGS[word.slice(0, 2)]) {
      setter = VALUE_FLAGS[word.slice(0, 2)]; // -qjobs
      inline = word.slice(2);
    }
    if (!setter) throw new UsageError(`unknown option '${flag}' (see --help)`);
    const value = inline ?? argv[++i];
    // `-q -- cat`: the value was forgotten; `--` ends the options, it is no value (--queue=-- would be one).
    const missing = value === undefined || (inline === undefined && value === '--');
    if (missing) throw new UsageError(`${flag} needs a value (see --help)`);
    setter(options, value, flag);
  }
  const [program, ...args] = argv.slice(i);
  return { kind: 'run', options: { ...options, program, args } as unknown as WorkerOptions };
}
