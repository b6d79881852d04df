import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { chainEvents } from './append-rules';
import { canonicalJson, EMPTY_CHAIN, eventHash, linksTo, type ChainEnd, type HashedContent } from './hash-chain';

/**
 * The definition every stored hash was made with: JSON.stringify, each object copied with its
 * keys sorted. The written-out canonicalJson must give the same bytes for every value, or chains
 * stored earlier would no longer verify.
 */
const reference = (value: unknown): string =>
  JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]])) : v,
  );

function referenceEventHash(prevHash: string, event: HashedContent): string {
  const { prevHash: _p, hash: _h, ...metadata } = event.metadata;
  const body = reference({ prevHash, id: event.id, type: event.type, streamName: event.streamName, revision: event.revision.toString(), data: event.data, metadata });
  return createHash('sha256').update(body).digest('hex');
}

/** Keys that JavaScript orders differently from a plain sort: array indices and near misses. */
const key = fc.oneof(
  fc.string(),
  fc.nat().map(String),
  fc.constantFrom('0', '01', '-1', '1e3', '1.5', '4294967294', '4294967295', '4294967296', '__proto__', 'toJSON', 'a', 'B', 'é'),
);
const value = fc.anything({ key, withDate: true, withBoxedValues: true, withNullPrototype: true, withSparseArray: true, withObjectString: true, maxDepth: 4 });

describe('canonicalJson', () => {
  it('writes exactly what the sorted-keys JSON.stringify writes, for any value', () => {
    fc.assert(fc.property(value, (v) => expect(canonicalJson(v)).toBe(reference(v))), { numRuns: 5000 });
  });

  it('quotes keys and strings as JSON.stringify does: quotes, backslashes, control characters, lone surrogates', () => {
    const text = fc.oneof(
      fc.string({ unit: 'binary-ascii' }),
      fc.string({ unit: 'binary' }),
      fc.constantFrom('"', '\\', '\u007f', '\u2028', '\ud800', 'a\udfffb', '\ud83d\ude00', '\u0000\u001f'),
    );
    fc.assert(
      fc.property(text, text, (k, v) => expect(canonicalJson({ [k]: v, list: [v] })).toBe(reference({ [k]: v, list: [v] }))),
      { numRuns: 3000 },
    );
  });

  it('also for values that JSON leaves out or turns into null', () => {
    const odd = { u: undefined, f: () => 1, s: Symbol('s'), list: [undefined, () => 1, Symbol('t')], when: new Date(0), nested: { toJSON: (k: string) => `key ${k}` } };
    expect(canonicalJson(odd)).toBe(reference(odd));
    expect(canonicalJson({ b: 1, 10: 2, 2: 3, a: 4 })).toBe('{"2":3,"10":2,"a":4,"b":1}');
    expect(canonicalJson(undefined)).toBe(reference(undefined));
    const twice = { outer: { toJSON: () => ({ toJSON: () => 'inner', b: 1, a: 2 }) }, list: [{ toJSON: () => ({ toJSON: () => 1 }) }] };
    expect(canonicalJson(twice)).toBe(reference(twice));
    const instances = { sorted: new (class { a = 1; b = 2 })(), map: new Map([['a', 1]]), boxed: [new String('ab'), new Number(1)] };
    expect(canonicalJson(instances)).toBe(reference(instances));
  });
});

describe('eventHash', () => {
  it('is the hash that was always stored, whatever the event and its link fields', () => {
    const event = fc.record({
      id: fc.uuid(),
      type: fc.string(),
      streamName: fc.string(),
      revision: fc.bigInt({ min: 0n, max: 2n ** 40n }),
      data: value,
      metadata: fc.record(
        { occurredAt: fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), schemaVersion: fc.constant(1), prevHash: fc.string(), hash: fc.string(), extra: value },
        { requiredKeys: ['occurredAt', 'schemaVersion'] },
      ),
    });
    fc.assert(
      fc.property(fc.string(), event, (prev, e) => expect(eventHash(prev, e as HashedContent)).toBe(referenceEventHash(prev, e as HashedContent))),
      { numRuns: 2000 },
    );
  });
});

describe('linksTo', () => {
  const metadata = { occurredAt: '2026-01-01T00:00:00.000Z', schemaVersion: 1 };
  const [first, second, third] = chainEvents('s', { revision: -1n, hash: '' }, ['e0', 'e1', 'e2'].map((id) => ({ id, type: 'Fact', data: { id }, metadata })))
    .map((event) => ({ ...event, streamName: 's' }));
  const after = (event: HashedContent): ChainEnd => ({ next: event.revision + 1n, hash: event.metadata.hash! });

  it('holds for each event of a stream as the store chained it', () => {
    expect([linksTo(EMPTY_CHAIN, first!), linksTo(after(first!), second!), linksTo(after(second!), third!)]).toEqual([true, true, true]);
  });

  it('finds an altered event, a rewritten link alone, and a removed event whose successors were hashed again', () => {
    expect(linksTo(after(first!), { ...second!, data: { id: 'forged' } })).toBe(false);
    // The link field is left out of the hash it links, so only comparing it finds this.
    expect(linksTo(after(first!), { ...second!, metadata: { ...second!.metadata, prevHash: 'f'.repeat(64) } })).toBe(false);
    // The second event removed, the third linked to the first and hashed again: only its revision tells.
    const relinked = { ...third!, metadata: { ...third!.metadata, prevHash: first!.metadata.hash } };
    relinked.metadata.hash = eventHash(first!.metadata.hash!, relinked);
    expect(linksTo(after(first!), relinked)).toBe(false);
    // Renumbered as well, it links: the log digest, written down elsewhere, is what finds a rewrite as thorough as that.
    expect(linksTo(after(first!), { ...relinked, revision: 1n, metadata: { ...relinked.metadata, hash: eventHash(first!.metadata.hash!, { ...relinked, revision: 1n }) } })).toBe(true);
  });
});
