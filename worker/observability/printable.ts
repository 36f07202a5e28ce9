/** Longest text from a message that one log line or output tag shows. */
export const PRINTABLE_MAX = 200;

const ESCAPES: Readonly<Record<string, string>> = { '\n': '\\n', '\r': '\\r', '\t': '\\t', '\\': '\\\\' };

/**
 * Characters that break a line or drive a terminal: C0, DEL, C1, line and paragraph separators,
 * and bidirectional controls (embeddings, overrides, isolates, marks: they reorder what is shown).
 */
// eslint-disable-next-line no-control-regex -- matching control characters is this pattern's purpose
export const CONTROL_CHARACTERS = /[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/;
const TO_ESCAPE = new RegExp(`\\\\|${CONTROL_CHARACTERS.source}`, 'g');

/**
 * A value from a message (id, header, reason), made safe for one log line or output tag:
 * CONTROL_CHARACTERS are escaped as \n, \x1b, \u202e ...,
 * backslashes doubled so an escape cannot be forged, and the text cut to `max` characters.
 * Messages are hostile input: raw, they could forge the worker's own lines or drive a terminal.
 */
export function printable(value: unknown, max: number = PRINTABLE_MAX): string {
  const text = typeof value === 'string' ? value : Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  const cut = text.length > max ? `${text.slice(0, max)}…(${text.length - max} more)` : text;
  return cut.replace(TO_ESCAPE, escapeChar);
}

function escapeChar(c: string): string {
  const code = c.charCodeAt(0);
  const hex = code.toString(16);
  return ESCAPES[c] ?? (code > 0xff ? `\\u${hex.padStart(4, '0')}` : `\\x${hex.padStart(2, '0')}`);
}
