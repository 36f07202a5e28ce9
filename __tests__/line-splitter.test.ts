import { LineSplitter } from '../worker/process/line-splitter';

/** Feeds `chunks` to a splitter with a `max` line length; returns what it reported, decoded. */
function split(chunks: Buffer[], max?: number): { lines: string[]; tooLong: string[] } {
  const seen = { lines: [] as string[], tooLong: [] as string[] };
  const splitter = new LineSplitter(
    { line: (l) => seen.lines.push(l.toString('utf8')), tooLong: (h) => seen.tooLong.push(h.toString('utf8')) },
    max,
  );
  for (const chunk of chunks) splitter.push(chunk);
  splitter.end();
  return seen;
}

describe('LineSplitter', () => {
  it('keeps a UTF-8 character that is split across two chunks intact', () => {
    // GIVEN "données\n" cut between the two bytes of "é" (c3 a9)
    const bytes = Buffer.from('données\n', 'utf8');
    const cut = bytes.indexOf(0xc3) + 1;
    // WHEN it arrives in two chunks
    const { lines } = split([bytes.subarray(0, cut), bytes.subarray(cut)]);
    // THEN the line reads as written
    expect(lines).toEqual(['données']);
  });

  it('joins a line fed in many chunks and splits several lines out of one chunk', () => {
    const { lines } = split([Buffer.from('a'), Buffer.from('b'), Buffer.from('c\nd\n\ne'), Buffer.from('f')]);
    expect(lines).toEqual(['abc', 'd', '', 'ef']);
  });

  it('reports a line longer than the maximum once, cut at a character boundary, and drops the rest of it', () => {
    // GIVEN a limit of 8 bytes and a line whose 8th byte is inside "é", fed byte by byte, then a short line
    const bytes = Buffer.from(`abcdefgé${'x'.repeat(100)}\nnext\n`, 'utf8');
    const chunks = [...bytes].map((b) => Buffer.from([b]));
    // WHEN split
    const { lines, tooLong } = split(chunks, 8);
    // THEN only the whole characters of the first 8 bytes are reported, and the next line is intact
    expect(tooLong).toEqual(['abcdefg']);
    expect(lines).toEqual(['next']);
  });

  it('reports the first `max` bytes of a too long line that came in several chunks', () => {
    const { lines, tooLong } = split([Buffer.from('abc'), Buffer.from('def'), Buffer.from('ghijkl\nok')], 8);
    expect(tooLong).toEqual(['abcdefgh']);
    expect(lines).toEqual(['ok']);
  });

  it('keeps a line of exactly the maximum length whole', () => {
    const { lines, tooLong } = split([Buffer.from('12345678\n')], 8);
    expect(lines).toEqual(['12345678']);
    expect(tooLong).toEqual([]);
  });
});
