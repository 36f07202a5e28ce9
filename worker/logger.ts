import { Redactor } from './redact';

/** Where the worker reports what it does; every line is redacted of the broker password. */
export interface Logger {
  info(message: string): void;
  error(message: string): void;
}

/** Logs one line per event to stderr, prefixed with the program name. */
export function createLogger(redactor: Redactor, stream: NodeJS.WritableStream = process.stderr): Logger {
  const write = (level: string, message: string) =>
    stream.write(`workqueue-worker: ${level}${redactor.text(message)}\n`);
  return {
    info: (message) => write('', message),
    error: (message) => write('error: ', message),
  };
}

/** The text of any thrown value, for a one-line report. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
