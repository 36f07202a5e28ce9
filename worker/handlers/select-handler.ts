import type { Logger } from '../observability/logger';
import { functionHandler, loadHandlerModule } from './module-handler';
import type { ResolvedWorkerOptions } from '../consumer/options';
import { persistentHandler, type ClosableHandler } from './persistent-handler';
import { programHandler } from './program-handler';

/** The handler the options ask for: an in-process module, a persistent program, or a program per message. */
export function selectHandler(options: ResolvedWorkerOptions, log: Logger): ClosableHandler {
  if (options.module !== undefined)
    return { handler: functionHandler(loadHandlerModule(options.module)), close: async () => undefined };
  if (options.persistent) {
    const { program, args, concurrency: programs, queue, passEnv } = options;
    return persistentHandler({ program, args, programs, queue, passEnv, log });
  }
  return { handler: programHandler(options), close: async () => undefined };
}
