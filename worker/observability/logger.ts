import { Redactor } from './redact';

/** Where the worker reports what it does; every line is redacted of the broker password. */
export interface Logger {
  info(message: string): void;
  error(message: string): void;
}

/** Logs one line per event to stderr, prefixed with the program name. */
export function createLogger(
  redactor: Redactor,
  stream: NodeJS.WritableStream = process.stderr,
  program = 'workqueue-worker',
): Logger {
  const write = (level: string, message: string) => stream.write(`${program}: ${level}${redactor.text(message)}\n`);
  return {
    info: (message) => write('', message),
    error: (message) => write('error: ', message),
  };
}

/**
 * The text of any thrown value, as one line (line breaks become spaces). Never throws: a handler
 * may throw anything, and String() itself throws for some (Object.create(null), a throwing getter).
 */
export function errorText(err: unknown): string {
  let text: string;
  try {
    text = err instanceof Error ? String(err.message) : String(err);
  } catch {
    text = `a thrown ${typeof err} that has no text`;
  }
  return text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
}
