// In-process handler types from workqueue/worker: they must resolve to the package's declarations, not any.
import type { HandlerFunction, MessageMeta } from 'workqueue/worker';
import type { WorkQueueWorkerProps } from 'workqueue';

export const handle: HandlerFunction = (body: Buffer, meta: MessageMeta) => {
  if (body.length === 0) throw new Error(`empty message ${meta.messageId} on ${meta.queue}`);
};

// @ts-expect-error attempt is a number: an error here proves MessageMeta is not any
export const wrong: (meta: MessageMeta) => string = (meta) => meta.attempt;

// @ts-expect-error queue is required: an error here proves the constructs' props are typed
export const props: WorkQueueWorkerProps = { broker: 'amqp://broker' };
