import { printable } from '../worker/observability/printable';

describe('printable: a value from a message, safe for one log line', () => {
  it('escapes bidirectional controls, which would reorder what a terminal shows', () => {
    // GIVEN a message id with every bidi embedding, override, isolate and mark
    const bidi = [
      '\u202a',
      '\u202b',
      '\u202c',
      '\u202d',
      '\u202e',
      '\u2066',
      '\u2067',
      '\u2068',
      '\u2069',
      '\u200e',
      '\u200f',
      '\u061c',
    ];
    // WHEN it is made printable
    const shown = printable(`id-${bidi.join('')}-end`);
    // THEN each is an escape, and no bidi control is left
    expect(shown).toBe('id-\\u202a\\u202b\\u202c\\u202d\\u202e\\u2066\\u2067\\u2068\\u2069\\u200e\\u200f\\u061c-end');
    expect(shown).not.toMatch(/[\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]/);
  });

  it('leaves ordinary right-to-left text alone', () => {
    // GIVEN Arabic and Hebrew letters (not controls)
    // WHEN made printable THEN they are unchanged
    expect(printable('مرحبا שלום')).toBe('مرحبا שלום');
  });
});
