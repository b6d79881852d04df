import { createHash } from 'node:crypto';
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
 * event changes some later link, which `verifyChain` then finds.
 */
export function eventHash(prevHash: string, event: HashedContent): string {
  const { prevHash: _p, hash: _h, ...metadata } = event.metadata;
  const body = canonicalJson({
    prevHash,
    id: event.id,
    type: event.type,
    streamName: event.streamName,
    revision: event.revision.toString(),
    data: event.data,
    metadata,
  });
  return createHash('sha256').update(body).digest('hex');
}

/** JSON with object keys sorted, so the hash does not depend on key order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, v[k]]))
      : v,
  );
}

export interface ChainBreak {
  stream: string;
  revision: bigint;
}

/**
 * Walks one stream's events in revision order and returns the first one whose revision, link or
 * own hash does not hold.
 */
export function verifyChain(stream: string, events: Array<HashedContent & { metadata: EventMetadata }>): ChainBreak | undefined {
  let prev = '';
  let expectedRevision = 0n;
  for (const event of events) {
    const ok =
      event.revision === expectedRevision &&
      (event.metadata.prevHash ?? '') === prev &&
      event.metadata.hash === eventHash(prev, event);
    if (!ok) return { stream, revision: expectedRevision };
    prev = event.metadata.hash!;
    expectedRevision++;
  }
  return undefined;
}
