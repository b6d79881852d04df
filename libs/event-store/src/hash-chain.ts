import { hash } from 'node:crypto';
import type { EventMetadata } from './event-store.port';

/** The parts of an event the audit hash covers: everything but the store's own bookkeeping. */
export interface HashedContent {
  id: string;
  type: string;
  streamName: string;
  revision: bigint;
  data: unknown;
  metadata: EventMetadata;
}

/**
 * Hash of an event chained to its predecessor in the stream. Changing, removing or reordering any
 * event changes some later link, which `linksTo` then finds.
 */
export function eventHash(prevHash: string, event: HashedContent): string {
  // The store's own link fields are left out of what they link.
  const { prevHash: _prevHash, hash: _hash, ...metadata } = event.metadata;
  const body = canonicalJson({
    prevHash,
    id: event.id,
    type: event.type,
    streamName: event.streamName,
    revision: event.revision.toString(),
    data: event.data,
    metadata,
  });
  return hash('sha256', body, 'hex');
}

/**
 * JSON with object keys sorted, so the hash does not depend on key order. Byte for byte what
 * `JSON.stringify` writes for a copy of each object with its keys sorted (stored hashes depend on
 * it): `toJSON` is honoured; keys whose value is undefined, a function or a symbol are left out,
 * and such values in arrays become null; and, as in any JavaScript object, keys that are array
 * indices come first, in numeric order. Written out rather than as a `JSON.stringify` replacer,
 * which would copy every object on the way.
 */
export function canonicalJson(value: unknown): string {
  return write('', value) as string;
}

function write(key: string, value: unknown): string | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as { toJSON?: unknown }).toJSON === 'function') {
    value = (value as { toJSON: (key: string) => unknown }).toJSON(key);
  }
  if (typeof value === 'string') return quote(value);
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) {
    let out = '[';
    for (let i = 0; i < value.length; i++) out += (i ? ',' : '') + (write(String(i), value[i]) ?? 'null');
    return out + ']';
  }
  let out = '';
  for (const name of sortedKeys(value)) {
    const item = write(name, (value as Record<string, unknown>)[name]);
    if (item !== undefined) out += (out ? ',' : '') + quote(name) + ':' + item;
  }
  return '{' + out + '}';
}

/** Printable ASCII but `"` and `\`: what JSON.stringify writes between quotes unchanged. */
const PLAIN = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** JSON.stringify of a string; the test and a concatenation cost a third of that call here. */
const quote = (text: string) => (PLAIN.test(text) ? `"${text}"` : JSON.stringify(text));

/** `Object.keys` already lists array-index keys first, in numeric order; the rest are sorted. */
function sortedKeys(value: object): string[] {
  const keys = Object.keys(value);
  let indices = 0;
  while (indices < keys.length && isArrayIndex(keys[indices]!)) indices++;
  return indices === 0 ? keys.sort() : [...keys.slice(0, indices), ...keys.slice(indices).sort()];
}

const isArrayIndex = (key: string) => {
  const n = Number(key);
  return n >>> 0 === n && n !== 2 ** 32 - 1 && String(n) === key;
};

/** Where a stream's chain has got to: the revision its next event must carry, and the hash that event must link to. */
export interface ChainEnd {
  next: bigint;
  hash: string;
}

/** The chain of a stream with no events yet. */
export const EMPTY_CHAIN: ChainEnd = { next: 0n, hash: '' };

/**
 * Whether the event is its stream's next link: the next revision, linked to the chain's hash, and
 * its own hash right (`computed`, where the caller has it already). Each check finds what the
 * others miss: a rewritten `prevHash` alone changes no hash, and a stream whose later events
 * were hashed again after one was removed links up but skips a revision.
 */
export function linksTo(chain: ChainEnd, event: HashedContent, computed = eventHash(chain.hash, event)): boolean {
  return event.revision === chain.next && (event.metadata.prevHash ?? '') === chain.hash && event.metadata.hash === computed;
}
