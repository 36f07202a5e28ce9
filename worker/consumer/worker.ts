import { setMaxListeners } from 'node:events';
import type { ChannelModel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import { Backoff, sleep } from '../broker/backoff';
import { brokerCandidates, type BrokerCandidate } from '../broker/url';
import { connectWithRetry } from '../broker/connect';
import { AckBatcher } from './ack-batcher';
import { CopyPublisher, UnroutableError } from './copy-publisher';
import { ensureQueue } from '../broker/ensure-queue';
import { FatalError } from '../command-line/errors';
import { errorText, type Logger } from '../observability/logger';
import type { MessageHandler } from '../handlers/message-handler';
import { REFRESH_DELIVERY_COUNT } from './delivery-limit';
import { brokerDeliveryCount, messageMeta, type MessageMeta } from './message-meta';
import { WorkerMetrics } from '../observability/metrics';
import type { ResolvedWorkerOptions } from './options';
import type { Outcome } from './outcome';
import { printable } from '../observability/printable';
import { redactUrl } from '../observability/redact';
import { unpublishable, captureRawHeaders, frameMaxOf, refusedHeaderTable } from '../broker/amqp-codec';
import { RateLimitedLog } from '../observability/rate-limited-log';
import {
  failureProperties,
  HEADERS,
  minimalDeadLetterProperties,
  reducedDeadLetterProperties,
  returnedCopyProperties,
} from './retry-publish';
import { loadTlsFiles, type TlsSocketOptions } from '../broker/tls-files';
import { retryDelayMs, retryQueueArguments } from './retry-delays';
import { retryQueueName } from './queue-names';

/** One connection with its consuming channel; `open` turns false for good when either closes. */
interface Link {
  readonly connection: ChannelModel;
  readonly channel: ConfirmChannel;
  /** Publishes copies of messages, confirmed and routed (mandatory), one at a time. */
  readonly copies: CopyPublisher;
  /** Acks and returns on `channel`, acks coalesced once per turn of the event loop. */
  readonly acks: AckBatcher;
  /** The broker URL it went to: after a loss, the next attempt tries the other nodes first. */
  readonly url: string;
  consumerTag?: string;
  open: boolean;
}

interface Delivery {
  readonly link: Link;
  readonly message: ConsumeMessage;
}

export interface WorkerDependencies {
  readonly handler: MessageHandler;
  readonly log: Logger;
  readonly metrics?: WorkerMetrics;
}

/** Why a running attempt was aborted. */
type AbortReason = 'timeout' | 'shutdown';

/**
 * Consumes one queue and hands each message to the handler, at most `concurrency` at once.
 * Success acks; a failure republishes the message with its attempt count (or dead-letters it
 * once the attempts ran out) and acks only after the broker confirmed that copy. Reconnects
 * by itself when the link is lost; stops on close() or after `count` messages.
 */
export class Worker {
  readonly metrics: WorkerMetrics;
  private readonly handler: MessageHandler;
  private readonly log: Logger;
  /** For failures that may repeat once per message, without bound. */
  private readonly repeats: RateLimitedLog;
  /** Where to connect next: the URLs, or where --broker was discovered this time. */
  private readonly candidates: () => Promise<BrokerCandidate[]>;
  /** The URL of the link lost last, tried after the others on reconnecting. */
  private lostUrl?: string;
  private readonly tls: TlsSocketOptions;
  /** Messages handled at once: the programs (or handler calls), or in persistent mode every prefetched message. */
  private readonly limit: number;
  private link?: Link;
  private readonly waiting: Delivery[] = [];
  private running = 0;
  private started = 0;
  private stopping?: Promise<void>;
  /** Aborted when stopping: ends connection retries. */
  private readonly stopSignal = new AbortController();
  /**
   * The signal of every attempt without a timeout, aborted as 'shutdown' when the grace is over: one controller for
   * all of them, since an AbortController made per message cost about a tenth of the in-process mode's time.
   */
  private readonly graceOver = new AbortController();
  /** Attempts with a timeout of their own, aborted as 'shutdown' with the others (a list, not a listener each). */
  private readonly attempts = new Set<AbortController>();
  private graceTimer?: NodeJS.Timeout;
  /** Messages being handed back (giveBack), awaited before the channel closes on a stop. */
  private readonly returning = new Set<Promise<void>>();
  private idleWaiters: (() => void)[] = [];
  private resolveDone!: () => void;
  private readonly donePromise = new Promise<void>((resolve) => (this.resolveDone = resolve));

  constructor(
    readonly options: ResolvedWorkerOptions,
    deps: WorkerDependencies,
  ) {
    this.handler = deps.handler;
    this.log = deps.log;
    this.repeats = new RateLimitedLog(deps.log);
    captureRawHeaders(); // copies keep headers exactly as received
    this.metrics = deps.metrics ?? new WorkerMetrics(options.queue);
    this.candidates = brokerCandidates(options.urls, options.brokers, this.log);
    this.tls = loadTlsFiles(options);
    this.limit = options.persistent ? options.prefetchCount : options.concurrency;
    // Every running attempt listens to it (and stops listening when done): as many as the prefetch allows.
    setMaxListeners(0, this.graceOver.signal);
  }

  /** Connects (retrying up to the connect timeout), declares missing queues and starts consuming. */
  async start(): Promise<void> {
    const opened = await this.open(this.options.connectTimeoutSeconds * 1000).catch((err: unknown) => {
      if (err instanceof FatalError) throw err;
      throw new FatalError(`cannot consume '${this.options.queue}': ${errorText(err)}`);
    });
    if (opened)
      this.log.info(
        `consuming '${this.options.queue}' ` +
          `(concurrency ${this.options.concurrency}, prefetch ${this.options.prefetchCount})`,
      );
  }

  /** Resolves once the worker has stopped: after close(), or after `count` messages. */
  done(): Promise<void> {
    return this.donePromise;
  }

  /** True while connected and consuming: what /healthz reports. */
  healthy(): boolean {
    return this.link?.open === true && this.link.consumerTag !== undefined && this.stopping === undefined;
  }

  /**
   * Stops taking messages, gives running programs the shutdown grace to finish, then stops them
   * and returns their messages to the queue; closes the connection. Safe to call more than once.
   */
  close(): Promise<void> {
    return this.stop(this.options.shutdownGraceSeconds * 1000);
  }

  private stop(graceMs: number): Promise<void> {
    if (this.stopping) {
      this.armGrace(graceMs);
      return this.stopping;
    }
    this.stopping = this.drain(graceMs);
    return this.stopping;
  }

  private async drain(graceMs: number): Promise<void> {
    this.stopSignal.abort();
    const link = this.link;
    if (link?.open && link.consumerTag !== undefined) {
      // If the cancel fails the channel is gone, and its unacked messages with it.
      await link.channel.cancel(link.consumerTag).catch(() => undefined);
    }
    for (const { link: from, message } of this.waiting.splice(0)) this.giveBack(from, message);
    if (this.running > 0) {
      if (Number.isFinite(graceMs))
        this.log.info(`stopping: ${this.running} running program(s) get ${graceMs / 1000} s to finish`);
      this.armGrace(graceMs);
      await new Promise<void>((resolve) => this.idleWaiters.push(resolve));
    }
    clearTimeout(this.graceTimer);
    // A copy confirmed but its original not yet acked would be a duplicate once the channel closes.
    while (this.returning.size > 0) await Promise.all(this.returning);
    // The current link: a connection attempt under way when the stop began may have opened a new one.
    const last = this.link;
    if (last?.open) {
      last.acks.flush();
      last.open = false;
      // Channel first: its close handshake flushes pending acks, which a bare connection close can overtake.
      await last.channel.close().catch(() => undefined); // already closing: nothing left to flush
      await last.connection.close().catch(() => undefined);
    }
    this.log.info(`stopped after ${this.started} message(s)`);
    this.resolveDone();
  }

  private armGrace(graceMs: number): void {
    if (this.graceTimer || !Number.isFinite(graceMs)) return;
    this.graceTimer = setTimeout(() => {
      if (this.running > 0)
        this.log.info(`shutdown grace over: stopping ${this.running} program(s); their messages go back to the queue`);
      this.graceOver.abort('shutdown' satisfies AbortReason);
      for (const attempt of this.attempts) attempt.abort('shutdown' satisfies AbortReason);
    }, graceMs);
  }

  /** Opens a link; resolves false when stopped before it was up. */
  private async open(timeoutMs?: number): Promise<boolean> {
    const { url, queue, deadLetterQueue, prefetchCount } = this.options;
    const connected = await connectWithRetry({
      candidates: this.candidates,
      displayUrl: url,
      lost: this.lostUrl,
      timeoutMs,
      tls: this.tls,
      log: this.log,
      signal: this.stopSignal.signal,
    });
    if (!connected) return false;
    const { connection } = connected;
    connection.on('error', (err: Error) => this.log.error(`connection error: ${printable(err.message)}`));
    try {
      for (const name of [queue, deadLetterQueue]) {
        if ((await ensureQueue(connection, name)) === 'declared')
          this.log.info(`declared missing durable queue '${name}'`);
      }
      const channel = await connection.createConfirmChannel();
      const link: Link = {
        connection,
        channel,
        copies: new CopyPublisher(channel),
        acks: new AckBatcher(channel),
        url: connected.url,
        open: true,
      };
      connection.on('close', () => this.lost(link, 'connection closed'));
      channel.on('error', (err: Error) => this.log.error(`channel error: ${printable(err.message)}`));
      channel.on('close', () => this.lost(link, 'channel closed'));
      await channel.prefetch(prefetchCount);
      this.link = link;
      const { consumerTag } = await channel.consume(queue, (message) => {
        if (message) {
          link.acks.delivered(message);
          this.receive(link, message);
        } else this.lost(link, `the broker cancelled the consumer (queue '${queue}' deleted?)`);
      });
      link.consumerTag = consumerTag;
      this.metrics.connectedTo(redactUrl(connected.url));
      // A stop that began while consume was in flight could not cancel it; do it now.
      if (this.stopping && link.open) await channel.cancel(consumerTag).catch(() => undefined);
      return true;
    } catch (err) {
      this.lostUrl = connected.url; // a node that failed here (shutting down?) is tried last next time
      await connection.close().catch(() => undefined); // the error below is what matters
      throw err;
    }
  }

  /** The link broke: its unacked messages are back with the broker; reconnect unless stopping. */
  private lost(link: Link, why: string): void {
    if (!link.open) return;
    link.open = false;
    if (this.link === link) this.link = undefined;
    this.lostUrl = link.url;
    this.metrics.connectedTo(undefined);
    link.connection.close().catch(() => undefined); // a channel-only failure leaves the connection up
    if (this.stopping) return;
    this.log.error(`lost the broker link (${why}); reconnecting`);
    void this.reconnect();
  }

  private async reconnect(): Promise<void> {
    const backoff = new Backoff();
    while (!this.stopping) {
      try {
        if (await this.open()) {
          this.metrics.reconnects.inc();
          this.log.info(`reconnected; consuming '${this.options.queue}' again`);
        }
        return;
      } catch (err) {
        const wait = backoff.next();
        this.log.error(`reconnect failed: ${errorText(err)}; retrying in ${(wait / 1000).toFixed(1)} s`);
        await sleep(wait, this.stopSignal.signal);
      }
    }
  }

  private receive(link: Link, message: ConsumeMessage): void {
    if (this.stopping || this.countReached()) {
      this.giveBack(link, message);
      return;
    }
    this.waiting.push({ link, message });
    this.pump();
  }

  private countReached(): boolean {
    return this.options.count !== undefined && this.started >= this.options.count;
  }

  private pump(): void {
    while (this.running < this.limit && this.waiting.length > 0 && !this.stopping && !this.countReached()) {
      const delivery = this.waiting.shift()!;
      if (!delivery.link.open) continue; // the broker already took it back
      this.started += 1;
      this.running += 1;
      void this.process(delivery);
    }
    // Like amqp-consume -c: after `count` messages, finish the running ones and exit.
    if (this.countReached() && !this.stopping) void this.stop(Infinity);
  }

  /** One message, from its attempt to its ack or return. */
  private async process({ link, message }: Delivery): Promise<void> {
    try {
      const meta = messageMeta(this.options.queue, message);
      const timeout = this.options.timeoutSeconds;
      // No attempt starts once the grace is over (pump stops at shutdown), so the shared signal is never aborted early.
      const attempt = timeout === undefined ? undefined : new AbortController();
      const signal = attempt?.signal ?? this.graceOver.signal;
      if (attempt) this.attempts.add(attempt);
      const timer =
        attempt === undefined
          ? undefined
          : setTimeout(() => attempt.abort('timeout' satisfies AbortReason), timeout! * 1000);
      this.metrics.inFlight += 1;
      const started = performance.now();
      let outcome: Outcome;
      // Headers that could not be decoded: the program would get none; nothing in a retry changes that.
      const refused = refusedHeaderTable(message.properties);
      try {
        outcome = refused
          ? { ok: false, reason: `${refused}; it is kept as bytes in ${HEADERS.originalHeaders}`, retry: false }
          : await this.handler(message.content, meta, signal);
      } catch (err) {
        outcome = { ok: false, reason: `handler failed: ${errorText(err)}` };
      } finally {
        clearTimeout(timer);
        if (attempt) this.attempts.delete(attempt);
        this.metrics.inFlight -= 1;
        this.metrics.processingSeconds.observe((performance.now() - started) / 1000);
      }
      const aborted = signal.reason as AbortReason | undefined;
      if (!outcome.ok && aborted === 'shutdown') {
        // Not the message's fault: it goes back as it was, without counting an attempt.
        await this.giveBack(link, message);
        return;
      }
      if (!outcome.ok && aborted === 'timeout') {
        outcome = { ...outcome, reason: `timed out after ${timeout} s (${outcome.reason})` };
      }
      await this.settle(link, message, meta, outcome);
    } finally {
      // Its slot is free: the next message starts, or a stop() waiting for the last one goes on.
      this.running -= 1;
      if (this.running === 0) for (const wake of this.idleWaiters.splice(0)) wake();
      this.pump();
    }
  }

  private async settle(link: Link, message: ConsumeMessage, meta: MessageMeta, outcome: Outcome): Promise<void> {
    if (!outcome.ok) this.metrics.failed.inc();
    if (!link.open) {
      this.log.info(
        `message ${logId(meta, message)} ${outcome.ok ? 'done' : `failed (${printable(outcome.reason)})`} ` +
          'while the broker link was down; the broker will deliver it again',
      );
      return;
    }
    if (outcome.ok) {
      if (ack(link, message)) this.metrics.succeeded.inc();
      return;
    }
    const id = logId(meta, message);
    const { maxAttempts, queue, deadLetterQueue } = this.options;
    const dead = outcome.retry === false || (maxAttempts > 0 && meta.attempt >= maxAttempts);
    // A delayed retry waits in the delay queue of its delay, which hands it back to the queue when due.
    const delayMs = dead ? 0 : retryDelayMs(this.options, meta.attempt);
    const target = dead ? deadLetterQueue : delayMs > 0 ? retryQueueName(queue, delayMs) : queue;
    const limit = maxAttempts > 0 ? ` of ${maxAttempts}` : '';
    const hopeless = outcome.retry === false ? ' (retrying cannot help)' : '';
    const next = dead
      ? `moving it to '${target}'${hopeless}`
      : delayMs > 0
        ? `retrying it in ${delayMs / 1000} s (through '${target}')`
        : 'returning it to the queue';
    this.log.info(`message ${id} failed: ${printable(outcome.reason)} (attempt ${meta.attempt}${limit}); ${next}`);
    const frameMax = frameMaxOf(link.connection);
    const full = failureProperties(message, outcome, meta.attempt, queue, dead, delayMs > 0);
    let why = unpublishable(full, message.content.length, frameMax);
    // A copy that cannot be encoded fails the same way every time: what can be carried goes to the dead-letter
    // queue at once. So does one the broker refused. Only a copy the broker confirmed lets the original go.
    const copies = [
      () => ({ target, properties: full }),
      () => ({
        target: deadLetterQueue,
        properties: reducedDeadLetterProperties(message, outcome, meta.attempt, queue, why ?? '', frameMax),
      }),
      () => ({
        target: deadLetterQueue,
        properties: minimalDeadLetterProperties(message, outcome, meta.attempt, queue, why ?? ''),
      }),
    ];
    for (const make of copies) {
      const copy = make();
      const unfit = copy.properties === full ? why : unpublishable(copy.properties, message.content.length, frameMax);
      if (unfit) {
        why ??= unfit;
        this.repeats.error(
          `unpublishable ${unfit}`,
          `message ${id}: a copy for '${copy.target}' cannot be published (${printable(unfit)}); trying a reduced copy`,
        );
        continue;
      }
      try {
        const delayed = copy.target === target ? delayMs : 0;
        await this.publishCopy(link, copy.target, message.content, copy.properties, delayed);
      } catch (err) {
        if (!link.open) {
          this.log.error(
            `could not publish message ${id} to '${copy.target}' (${printable(errorText(err))}); ` +
              'the broker will deliver it again',
          );
          return;
        }
        why = `the broker refused it: ${errorText(err)}`;
        this.repeats.error(
          `refused ${copy.target}`,
          `message ${id}: the broker refused its copy for '${copy.target}' (${printable(errorText(err))})`,
        );
        continue;
      }
      const acked = ack(link, message);
      if (acked && copy.target === deadLetterQueue) this.metrics.deadLettered.inc();
      // What was announced above is not what happened: say what did.
      if (acked && copy.properties !== full) {
        this.log.info(`message ${id}: moved a reduced copy to '${copy.target}' instead (${printable(why ?? '')})`);
      }
      return;
    }
    // No copy at all: the original stays with the broker, after a pause so that it cannot spin.
    this.repeats.error('no copy', `message ${id}: no copy of it could be published; it stays in '${queue}'`);
    await sleep(NO_COPY_PAUSE_MS, this.stopSignal.signal);
    await this.giveBack(link, message);
  }

  /**
   * Publishes a copy and resolves once the broker confirmed that `queue` took it. A queue deleted
   * since start-up (a removed QUEUE.dlq) is declared again, as at start-up, and the copy sent once more;
   * so is a delay queue (of `delayMs`) on its first use.
   */
  private async publishCopy(
    link: Link,
    queue: string,
    body: Buffer,
    properties: Options.Publish,
    delayMs = 0,
  ): Promise<void> {
    try {
      await link.copies.publish(queue, body, properties);
    } catch (err) {
      if (!(err instanceof UnroutableError) || !link.open) throw err;
      // A delay queue is declared classic here; the Broker construct declares them beforehand in the queue's type.
      const delayArgs = delayMs > 0 ? retryQueueArguments(this.options.queue, delayMs, false) : undefined;
      if ((await ensureQueue(link.connection, queue, delayArgs)) === 'declared')
        this.log.info(`declared missing durable ${delayArgs ? 'delay ' : ''}queue '${queue}'`);
      await link.copies.publish(queue, body, properties);
    }
  }

  /**
   * Hands a message back to the queue as it was, no attempt counted. A nack does, unless the broker's
   * x-delivery-count (raised by every return before RabbitMQ 4.3) reached REFRESH_DELIVERY_COUNT: then
   * an unchanged copy goes back, confirmed, and the original is acked, so returns on purpose never
   * reach the broker's delivery limit (worker/consumer/delivery-limit.ts). Tracked until settled.
   */
  private giveBack(link: Link, message: ConsumeMessage): Promise<void> {
    const done = this.returnMessage(link, message).finally(() => this.returning.delete(done));
    this.returning.add(done);
    return done;
  }

  private async returnMessage(link: Link, message: ConsumeMessage): Promise<void> {
    if (link.open && brokerDeliveryCount(message) >= REFRESH_DELIVERY_COUNT) {
      const properties = returnedCopyProperties(message);
      const unfit = unpublishable(properties, message.content.length, frameMaxOf(link.connection));
      if (!unfit) {
        try {
          await this.publishCopy(link, this.options.queue, message.content, properties);
          ack(link, message);
          return;
        } catch (err) {
          // The nack below still returns it; only its broker count goes up.
          this.repeats.error(
            'refresh',
            `a fresh copy of a returned message was not confirmed (${printable(errorText(err))}); ` +
              'returning the original',
          );
        }
      }
    }
    requeue(link, message);
  }
}

/** Pause before handing back a message of which no copy could be published. */
const NO_COPY_PAUSE_MS = 5_000;

/** How log lines name a message: its id made printable (made only for a line that is written), else its tag. */
function logId(meta: MessageMeta, message: ConsumeMessage): string {
  return meta.messageId ? printable(meta.messageId) : `#${message.fields.deliveryTag}`;
}

/** Acks (with the link's next flush) unless the link died meanwhile (then the broker redelivers it). */
function ack(link: Link, message: ConsumeMessage): boolean {
  if (!link.open) return false;
  link.acks.ack(message);
  return true;
}

/** Returns a message to the queue as it was, unless the link died (the broker has it back then). */
function requeue(link: Link, message: ConsumeMessage): void {
  if (link.open) link.acks.requeue(message);
}
