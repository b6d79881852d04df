import { eventHash, type EventStore } from '@reclaim/event-store';

export interface AuditReport {
  ok: boolean;
  streams: number;
  events: number;
  firstBroken?: { stream: string; revision: string };
}

/**
 * Walks the whole log in order and checks every stream's hash chain: each event's revision is the
 * next one, it links to its predecessor's hash, and its own hash matches its content. Where the
 * store keeps stream heads, a removed last event is found too.
 */
export async function verifyAudit(store: EventStore, onProgress?: (events: number) => void): Promise<AuditReport> {
  const chains = new Map<string, { next: bigint; hash: string }>();
  let events = 0;
  let broken: { stream: string; revision: bigint } | undefined;
  let from = 0n;
  for (;;) {
    const page = await store.readAll({ fromPosition: from, maxCount: 5000 });
    for (const event of page) {
      events++;
      const chain = chains.get(event.streamName) ?? { next: 0n, hash: '' };
      const ok =
        event.revision === chain.next &&
        (event.metadata.prevHash ?? '') === chain.hash &&
        event.metadata.hash === eventHash(chain.hash, event);
      if (!ok && !broken) broken = { stream: event.streamName, revision: chain.next };
      chains.set(event.streamName, { next: event.revision + 1n, hash: event.metadata.hash ?? '' });
    }
    if (page.length === 0) break;
    from = page[page.length - 1]!.position + 1n;
    onProgress?.(events);
  }
  if (!broken && store.streamHeads) {
    for (const head of await store.streamHeads()) {
      const chain = chains.get(head.stream);
      if (!chain || chain.next !== head.revision + 1n || chain.hash !== head.hash) {
        broken = { stream: head.stream, revision: chain ? chain.next : 0n };
        break;
      }
    }
  }
  return {
    ok: !broken,
    streams: chains.size,
    events,
    ...(broken ? { firstBroken: { stream: broken.stream, revision: broken.revision.toString() } } : {}),
  };
}
