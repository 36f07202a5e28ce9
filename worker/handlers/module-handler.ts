import { resolve } from 'node:path';
import { FatalError } from '../command-line/errors';
import { errorText } from '../observability/logger';
import type { MessageHandler } from './message-handler';
import type { MessageMeta } from '../consumer/message-meta';
import { SUCCESS, type Outcome } from '../consumer/outcome';

/**
 * What an in-process handler module exports as default: it does the work for one message and
 * resolves when done; a throw (or rejection) is a failed attempt. `signal` aborts on timeout and
 * shutdown; code that can stop early should listen to it.
 */
export type HandlerFunction = (body: Buffer, meta: MessageMeta, signal: AbortSignal) => Promise<void> | void;

/**
 * In-process mode: runs `fn` for each message. A handler cannot be killed like a process, so an
 * aborted attempt ends at once as failed (timeout) or returned (shutdown) while its promise is
 * left to settle on its own.
 */
export function functionHandler(fn: HandlerFunction): MessageHandler {
  return (body, meta, signal) => {
    if (signal.aborted) return Promise.resolve(aborted(signal));
    return new Promise<Outcome>((settle) => {
      const onAbort = () => settle(aborted(signal));
      signal.addEventListener('abort', onAbort, { once: true });
      const done = (outcome: Outcome) => {
        signal.removeEventListener('abort', onAbort);
        settle(outcome);
      };
      try {
        Promise.resolve(fn(body, meta, signal)).then(
          () => done(SUCCESS),
          (err: unknown) => done({ ok: false, reason: `handler threw: ${errorText(err)}` }),
        );
      } catch (err) {
        done({ ok: false, reason: `handler threw: ${errorText(err)}` });
      }
    });
  };
}

/** Loads `--module PATH`: its default export (or module.exports) must be a handler function. */
export function loadHandlerModule(path: string): HandlerFunction {
  const file = resolve(path);
  let loaded: unknown;
  try {
    // require() also loads ES modules on Node >= 20.19; a bundled worker keeps this call as is.
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- a path known only at run time
    loaded = require(file);
  } catch (err) {
    throw new FatalError(`cannot load --module ${path}: ${firstLine(errorText(err))}`);
  }
  const fn = pickFunction(loaded);
  if (!fn) {
    throw new FatalError(
      `--module ${path} must export a function as default: export default async (body, meta) => { ... }`,
    );
  }
  return fn;
}

function pickFunction(loaded: unknown): HandlerFunction | undefined {
  if (typeof loaded === 'function') return loaded as HandlerFunction;
  const first = (loaded as { default?: unknown } | null)?.default;
  if (typeof first === 'function') return first as HandlerFunction;
  // TypeScript compiled to CommonJS and then loaded as an ES module nests the default once more.
  const second = (first as { default?: unknown } | null | undefined)?.default;
  return typeof second === 'function' ? (second as HandlerFunction) : undefined;
}

function aborted(signal: AbortSignal): Outcome {
  return { ok: false, reason: signal.reason === 'timeout' ? 'handler did not finish' : 'handler stopped by shutdown' };
}

function firstLine(text: string): string {
  return text.split('\n')[0];
}
