import type * as amqp from 'amqplib';
import { Backoff, sleep } from './backoff';
import { openBrokerConnection, VhostRefused } from './open-connection';
import { FatalError, UsageError } from '../command-line/errors';
import { errorText, type Logger } from '../observability/logger';
import { redactUrl } from '../observability/redact';
import { tlsFailure, type TlsSocketOptions } from './tls-files';
import { connectionOrder, type BrokerCandidate } from './url';

export interface ConnectOptions {
  /** The places to connect to, asked before every attempt (discovery may move them between attempts). */
  readonly candidates: () => Promise<readonly BrokerCandidate[]>;
  /** The configured URL (or list), for messages. */
  readonly displayUrl: string;
  /** The URL of the connection just lost: tried after the others. */
  readonly lost?: string;
  /** Give up with a FatalError after this long; undefined keeps trying until `signal` aborts. */
  readonly timeoutMs?: number;
  /** CA, client certificate and key for amqps:// (empty for the system CAs and no client certificate). */
  readonly tls?: TlsSocketOptions;
  readonly log: Logger;
  readonly signal: AbortSignal;
}

/** An open connection and the URL it went to (one of several, or where discovery found the broker). */
export interface Connected {
  readonly connection: amqp.ChannelModel;
  readonly url: string;
}

/** How long one try at one node may take: a node that drops packets must not hold up the others. */
const ATTEMPT_TIMEOUT_MS = 10_000;

/**
 * Opens a connection, retrying with capped exponential backoff while no broker is reachable. Each
 * attempt tries every candidate in turn (connectionOrder: random, the one just lost last) and takes
 * the first that opens. Refused credentials or vhost, and a TLS certificate that does not verify, end
 * it at once: retrying would not make them right. Resolves undefined when `signal` aborted first.
 */
export async function connectWithRetry(opts: ConnectOptions): Promise<Connected | undefined> {
  const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
  const backoff = new Backoff();
  while (!opts.signal.aborted) {
    const where = redactUrl(opts.displayUrl);
    let target = `the broker at ${where}`;
    let text: string;
    try {
      const candidates = connectionOrder(await opts.candidates(), opts.lost);
      const several = candidates.length > 1;
      const failures: string[] = [];
      for (const [i, { url }] of candidates.entries()) {
        // One URL is named as configured (with --broker, the --url); one of several by itself.
        const here = several ? redactUrl(url) : where;
        const remaining = deadline - Date.now();
        if (opts.signal.aborted || (i > 0 && remaining <= 0)) break;
        try {
          const timeout = Math.max(1, Math.min(remaining, ATTEMPT_TIMEOUT_MS));
          const connection = await openBrokerConnection(url, { ...opts.tls, timeout });
          if (several) {
            const skipped = failures.length ? `; unreachable: ${failures.join('; ')}` : '';
            opts.log.info(`connected to ${here} (one of ${candidates.length} brokers${skipped})`);
          }
          return { connection, url };
        } catch (err) {
          const why = refusal(err, here);
          if (why) throw why;
          failures.push(several ? `${here}: ${errorText(err)}` : errorText(err));
        }
      }
      if (several) target = `any of the ${candidates.length} brokers`;
      text = failures.join('; ');
    } catch (err) {
      if (err instanceof FatalError || err instanceof UsageError) throw err;
      text = errorText(err); // discovery failed
    }
    if (opts.signal.aborted) break;
    const wait = Math.min(backoff.next(), deadline - Date.now());
    if (wait <= 0) {
      throw new FatalError(`cannot reach ${target} within the connect timeout (last error: ${text})`);
    }
    opts.log.info(`cannot reach ${target} (${text}); retrying in ${(wait / 1000).toFixed(1)} s`);
    await sleep(wait, opts.signal);
  }
  return undefined;
}

/** The error that ends the attempts when `err` is one retrying cannot fix, else undefined. */
function refusal(err: unknown, where: string): Error | undefined {
  if (err instanceof UsageError) return err; // a URL that cannot be used stays so
  if (err instanceof VhostRefused) return new FatalError(`cannot connect to ${where}: ${err.message}`);
  const text = errorText(err);
  const tls = tlsFailure(err);
  if (tls) return new FatalError(`cannot connect to ${where}: ${tls}`);
  if (/ACCESS[-_]REFUSED/.test(text)) {
    return new FatalError(
      `broker at ${where} refused the credentials: check the user and password in --url or $AMQP_URL`,
    );
  }
  if (/NOT[-_]ALLOWED/.test(text)) {
    return new FatalError(
      `broker at ${where} refused access to the vhost: check the vhost in --url and the user's permissions`,
    );
  }
  return undefined;
}
