const waiting = new WeakMap<NodeJS.WritableStream, Promise<void>>();

/**
 * Undefined while `stream` takes more; else a promise that resolves once it drained (or closed).
 * Every waiter on one stream shares one listener: many programs may wait on the worker's stdout.
 */
export function whenDrained(stream: NodeJS.WritableStream): Promise<void> | undefined {
  if (!(stream as { writableNeedDrain?: boolean }).writableNeedDrain) return undefined;
  let drained = waiting.get(stream);
  if (!drained) {
    drained = new Promise<void>((resolve) => {
      const done = () => {
        stream.off('drain', done);
        stream.off('close', done);
        waiting.delete(stream);
        resolve();
      };
      stream.on('drain', done);
      stream.on('close', done);
    });
    waiting.set(stream, drained);
  }
  return drained;
}

/** Resolves once everything written to `stream` so far has been handed to the system (or failed). */
export function flushed(stream: NodeJS.WritableStream): Promise<void> {
  const state = stream as { writableEnded?: boolean; destroyed?: boolean };
  return new Promise((resolve) => {
    if (state.writableEnded || state.destroyed) resolve();
    else stream.write('', () => resolve());
  });
}

/**
 * Ends a command with `code` once everything it wrote to stdout and stderr reached the reader, however slow it is
 * (process.exit drops what is still buffered); then no stray handle may keep the finished process alive.
 */
export function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  void Promise.all([flushed(process.stdout), flushed(process.stderr)]).then(() => process.exit(code));
}
