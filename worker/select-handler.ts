import type { MessageHandler } from './message-handler';
import { functionHandler, loadHandlerModule } from './module-handler';
import type { ResolvedWorkerOptions } from './options';
import { programHandler } from './program-handler';

/** The handler the options ask for: an in-process module, or a program spawned per message. */
export function selectHandler(options: ResolvedWorkerOptions): MessageHandler {
  if (options.module !== undefined) return functionHandler(loadHandlerModule(options.module));
  return programHandler(options);
}
