import type { MessageMeta } from '../consumer/message-meta';
import type { Outcome } from '../consumer/outcome';

/**
 * Does the work for one message. Aborting `signal` means "stop now" (timeout or shutdown);
 * the handler must then end quickly. It resolves with the outcome and never rejects.
 */
export type MessageHandler = (body: Buffer, meta: MessageMeta, signal: AbortSignal) => Promise<Outcome>;
