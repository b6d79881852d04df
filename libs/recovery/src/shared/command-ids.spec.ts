import fc from 'fast-check';
import { CommandIds } from './command-ids';

describe('CommandIds', () => {
  it('holds what was added to it, and earlier versions keep what they held', () => {
    const none = CommandIds.empty();
    const one = none.add('a');
    const two = one.add('b');
    expect([none.has('a'), one.has('a'), one.has('b'), two.has('a'), two.has('b')]).toEqual([false, true, false, true, true]);
    expect(two.add('a')).toBe(two);
    expect(two.size).toBe(2);
  });

  it('keeps forks apart: adding to an older version does not show in the newer one, or the reverse', () => {
    const base = CommandIds.empty().add('a');
    const left = base.add('left');
    const right = base.add('right');
    expect([left.has('left'), left.has('right'), right.has('right'), right.has('left'), base.has('left')]).toEqual([true, false, true, false, false]);
    expect(left.add('more').has('right')).toBe(false);
    expect(right.add('more').has('left')).toBe(false);
  });

  it('answers like a Set copied at every step, for any history of adds and forks', () => {
    // Each step adds an id to one of the versions made so far (often the newest, sometimes a fork).
    const steps = fc.array(fc.record({ from: fc.nat(), id: fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f') }), { maxLength: 60 });
    fc.assert(
      fc.property(steps, (plan) => {
        const versions: Array<{ ids: CommandIds; model: Set<string> }> = [{ ids: CommandIds.empty(), model: new Set() }];
        for (const { from, id } of plan) {
          const base = versions[from % 3 === 0 ? from % versions.length : versions.length - 1]!;
          versions.push({ ids: base.ids.add(id), model: new Set(base.model).add(id) });
        }
        for (const { ids, model } of versions) {
          for (const id of ['a', 'b', 'c', 'd', 'e', 'f']) expect(ids.has(id)).toBe(model.has(id));
          expect(ids.size).toBe(model.size);
        }
      }),
      { numRuns: 500 },
    );
  });
});
