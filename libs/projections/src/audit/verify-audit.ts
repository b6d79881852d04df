import { hash } from 'node:crypto';
import { EMPTY_CHAIN, eventHash, linksTo, type ChainEnd, type EventStore } from '@reclaim/event-store';
import { nextTurn } from '../next-turn';

export interface AuditReport {
  ok: boolean;
  streams: number;
  events: number;
  /** The position of the last event checked; "0" for an empty log. */
  position: string;
  /** The log digest at `position` (see `verifyAudit`). */
  digest: string;
  firstBroken?: { stream: string; revision: string };
}

export interface AuditOptions {
  /** Check the log only up to this position, as it stood then (the default: all of it). */
  through?: bigint;
  onProgress?: (events: number) => void;
}

/** The log digest of an empty log; each event then chains its hash onto it. */
export const EMPTY_LOG_DIGEST = '0'.repeat(64);

/**
 * Walks the log in order and checks every stream's hash chain: each event's revision is the next
 * one, it links to its predecessor's hash, and its own hash matches its content. Where the store
 * keeps stream heads, a removed last event is found too.
 *
 * The chains live in the file they protect, so someone who can write the file can rewrite a
 * chain whole, or remove a stream whole, and every chain still holds. The report's `digest` is
 * for that: a SHA-256 chain of every event's hash in log order. A reviewer who writes down
 * `position` and `digest` somewhere else can later check the log `through` that position and
 * compare: any change to the log up to there, a consistent rewrite included, gives another digest.
 */
export async function verifyAudit(store: EventStore, { through, onProgress }: AuditOptions = {}): Promise<AuditReport> {
  const chains = new Map<string, ChainEnd>();
  let events = 0;
  let position = 0n;
  let digest = EMPTY_LOG_DIGEST;
  let broken: { stream: string; revision: bigint } | undefined;
  for (;;) {
    // Pages small enough (~10 ms here) for a server to answer others between them.
    const page = await store.readAll({ after: position, maxCount: 500 });
    const checked = through === undefined ? page : page.filter((event) => event.position <= through);
    for (const event of checked) {
      events++;
      position = event.position;
      const chain = chains.get(event.streamName) ?? EMPTY_CHAIN;
      const computed = eventHash(chain.hash, event);
      const ok = linksTo(chain, event, computed);
      if (!ok && !broken) broken = { stream: event.streamName, revision: chain.next };
      chains.set(event.streamName, { next: event.revision + 1n, hash: event.metadata.hash ?? '' });
      digest = hash('sha256', digest + computed, 'hex');
    }
    onProgress?.(events);
    if (checked.length === 0 || checked.length < page.length) break;
    await nextTurn();
  }
  // Stream heads are where the streams end now, so they are checked only against the whole log.
  if (!broken && through === undefined) broken = await firstStreamCutShort(store, chains, position);
  return {
    ok: !broken,
    streams: chains.size,
    events,
    position: position.toString(),
    digest,
    ...(broken ? { firstBroken: { stream: broken.stream, revision: broken.revision.toString() } } : {}),
  };
}

/**
 * The first stream whose head, where the store keeps heads, is not where its chain ends. Appends
 * go on while the heads are read (between pages, or from another process): a head past its chain
 * is only cut short if its later events, past the walked `position`, do not carry the chain to it.
 */
async function firstStreamCutShort(store: EventStore, chains: Map<string, ChainEnd>, position: bigint) {
  if (!store.streamHeads) return undefined;
  for (let after: string | undefined; ; ) {
    const heads = await store.streamHeads({ after, limit: 2000 });
    if (heads.length === 0) return undefined;
    for (const head of heads) {
      const chain = chains.get(head.stream);
      if (chain && chain.next === head.revision + 1n && chain.hash === head.hash) continue;
      if (!(await appendedAfter(store, head, chain ?? EMPTY_CHAIN, position))) return { stream: head.stream, revision: disagreement(chain ?? EMPTY_CHAIN, head) };
    }
    after = heads[heads.length - 1]!.stream;
    await nextTurn();
  }
}

/**
 * Where a stream's walked chain and its head first disagree: at the same length, the last event
 * (not the one the head recorded); otherwise the first event the chain lacks, or the first past
 * the head (one the head never recorded).
 */
function disagreement(chain: ChainEnd, head: { revision: bigint }): bigint {
  if (chain.next === head.revision + 1n) return head.revision;
  return chain.next <= head.revision ? chain.next : head.revision + 1n;
}

/** Whether the stream's events after its walked chain are all past `position` and chain on to its head. */
async function appendedAfter(store: EventStore, head: { stream: string; revision: bigint; hash: string }, chain: ChainEnd, position: bigint) {
  if (head.revision < chain.next) return false;
  const later = await store.readStream(head.stream, { fromRevision: chain.next, maxCount: Number(head.revision - chain.next + 1n) });
  let link = chain;
  for (const event of later) {
    if (event.position <= position || !linksTo(link, event)) return false;
    link = { next: link.next + 1n, hash: event.metadata.hash! };
  }
  return link.next === head.revision + 1n && link.hash === head.hash;
}
