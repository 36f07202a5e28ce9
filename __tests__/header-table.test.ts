import { decodeHeaderTable, MAX_TABLE_DEPTH, undecodableTable } from '../worker/consumer/header-table';

const u32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
/** A header table holding `levels` tables nested in one another under the key 'a'. */
function nested(levels: number): Buffer {
  let table = Buffer.alloc(0);
  for (let i = 0; i < levels; i++)
    table = Buffer.concat([Buffer.from([1]), Buffer.from('aF'), u32(table.length), table]);
  return table;
}

describe('decoding a raw header table', () => {
  it('refuses a table nested 20,000 deep with a reason, without overflowing the stack', () => {
    // GIVEN a table nested far deeper than any stack allows for recursion
    const deep = nested(20_000);
    // WHEN it is scanned and decoded
    // THEN the scan names the depth limit, and the decoder throws that reason, not a stack overflow
    expect(undecodableTable(deep)).toBe(`the header table nests deeper than ${MAX_TABLE_DEPTH} levels`);
    expect(() => decodeHeaderTable(deep)).toThrow(
      new TypeError(`the header table nests deeper than ${MAX_TABLE_DEPTH} levels`),
    );
  });

  it('decodes a table nested exactly MAX_TABLE_DEPTH deep', () => {
    // GIVEN tables nested up to the limit
    const table = nested(MAX_TABLE_DEPTH);
    // WHEN it is scanned and decoded
    // THEN nothing is refused, and the innermost table is there
    expect(undecodableTable(table)).toBeUndefined();
    let level: unknown = decodeHeaderTable(table);
    for (let i = 0; i < MAX_TABLE_DEPTH; i++) level = (level as Record<string, unknown>).a;
    expect(level).toEqual({});
  });

  it('keeps a key named __proto__ as an own entry of a plain object', () => {
    // GIVEN a table with a table named __proto__
    const inner = Buffer.concat([Buffer.from([1]), Buffer.from('xt'), Buffer.from([1])]);
    const table = Buffer.concat([Buffer.from([9]), Buffer.from('__proto__F'), u32(inner.length), inner]);
    // WHEN it is decoded
    const decoded = decodeHeaderTable(table);
    // THEN __proto__ is an ordinary own key holding that table, and the object's prototype is untouched
    expect(Object.keys(decoded)).toEqual(['__proto__']);
    expect(Object.getOwnPropertyDescriptor(decoded, '__proto__')!.value).toEqual({ x: true });
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
  });
});
