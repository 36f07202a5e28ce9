import { TARGETS, type Target } from '../constructs';
import { RENDERERS, type TargetRenderer } from '../constructs/targets';

describe('one renderer per target', () => {
  it('finds a renderer for every target', () => {
    for (const target of TARGETS) expect(RENDERERS[target]).toBeDefined();
    expect(Object.keys(RENDERERS).sort()).toEqual([...TARGETS].sort());
  });

  it('does not compile a target without a renderer (checked by tsc --noEmit)', () => {
    // A fourth target added to the union, and no renderer written for it: the Record refuses the table.
    type WithAnother = Target | 'kubernetes';
    // @ts-expect-error Property 'kubernetes' is missing in type: the renderer table must name every target
    const table: Record<WithAnother, TargetRenderer> = { ...RENDERERS };
    expect(Object.keys(table)).not.toContain('kubernetes');
  });
});
