/**
 * The broker's own delivery count on quorum queues, and how the worker keeps it a safety net.
 *
 * RabbitMQ before 4.3 raises a quorum queue message's `x-delivery-count` on every return (nack with
 * requeue, a channel or connection closing with it unacked); 4.3 and later count only basic.reject,
 * which the worker never sends. The worker's `x-wq-attempts` alone decides dead-lettering; the
 * broker's `delivery-limit` only catches a message whose worker keeps dying with it (before 4.3).
 */

/** The `delivery-limit` the Broker construct's policy sets on quorum queues: RabbitMQ 4's own default. */
export const BROKER_DELIVERY_LIMIT = 20;

/**
 * A message the worker hands back on purpose (shutdown, a prefetched message it will not run) whose
 * `x-delivery-count` is at least this goes back as a fresh copy (confirmed, then the original acked)
 * instead of a nack, so returns on purpose never bring it near the limit; half of it leaves the other
 * half for returns the worker cannot steer (its link lost, its process killed).
 */
export const REFRESH_DELIVERY_COUNT = BROKER_DELIVERY_LIMIT / 2;

/** The header quorum queues put the count in. */
export const DELIVERY_COUNT_HEADER = 'x-delivery-count';
