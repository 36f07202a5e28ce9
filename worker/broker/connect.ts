import type * as amqp from 'amqplib';
import { Backoff, sleep } from './backoff';
import { openBrokerConnection, VhostRefused } from './open-connection';
import { FatalError, UsageError } from '../command-line/errors';
import { errorText, type Logger } from '../observability/logger';
import { redactUrl } from '../observability/redact';
import { tlsFailure, type TlsSocketOptions } from './tls-files';

export interface ConnectOptions {
  /** The broker URL for the next attempt (discovery may move it between attempts). */
  readonly url: () => Promise<string>;
  /** The configured URL, for messages. */
  readonly displayUrl: string;
  /** Give up with a FatalError after this long; undefined keeps trying until `signal` aborts. */
  readonly timeoutMs?: number;
  /** CA, client certificate and key for amqps:// (empty for the system CAs and no client certificate). */
  readonly tls?: TlsSocketOptions;
  readonly log: Logger;
  readonly signal: AbortSignal;
}

/** An open connection and the URL it went to (discovery may have chosen it). */
export interface Connected {
  readonly connection: amqp.ChannelModel;
  readonly url: string;
}

/**
 * Opens a connection, retrying with capped exponential backoff while the broker is unreachable.
 * Refused credentials or vhost end the attempt at once: retrying would not make them right.
 * Resolves undefined when `signal` aborted first.
 */
export async function connectWithRetry(opts: ConnectOptions): Promise<Connected | undefined> {
  const deadline = opts.timeoutMs === undefined ? Infinity : Date.now() + opts.timeoutMs;
  const backoff = new Backoff();
  const where = redactUrl(opts.displayUrl);
  while (!opts.signal.aborted) {
    const remaining = deadline - Date.now();
    try {
      const url = await opts.url();
      const timeout = Math.max(1, Math.min(remaining, 10_000));
      return { connection: await openBrokerConnection(url, { ...opts.tls, timeout }), url };
    } catch (err) {
      if (err instanceof UsageError) throw err; // a URL that cannot be used stays so
      if (err instanceof VhostRefused) throw new FatalError(`cannot connect to ${where}: ${err.message}`);
      const text = errorText(err);
      const tls = tlsFailure(err);
      if (tls) throw new FatalError(`cannot connect to ${where}: ${tls}`);
      if (/ACCESS[-_]REFUSED/.test(text)) {
        throw new FatalError(
          `broker at ${where} refused the credentials: check the user and password in --url or $AMQP_URL`,
        );
      }
      if (/NOT[-_]ALLOWED/.test(text)) {
        throw new FatalError(
          `broker at ${where} refused access to the vhost: check the vhost in --url and the user's permissions`,
        );
      }
      const wait = Math.min(backoff.next(), deadline - Date.now());
      if (wait <= 0) {
        throw new FatalError(`cannot reach the broker at ${where} within the connect timeout (last error: ${text})`);
      }
      opts.log.info(`cannot reach the broker at ${where} (${text}); retrying in ${(wait / 1000).toFixed(1)} s`);
      await sleep(wait, opts.signal);
    }
  }
  return undefined;
}
