import { EMPTY_CHAIN, linksTo, type HashedContent } from '../hash-chain';

/** The revision of a stream's first event that is not its next link, if one is not: for tests that check a whole stream. */
export function firstBrokenLink(events: HashedContent[]): bigint | undefined {
  let chain = EMPTY_CHAIN;
  for (const event of events) {
    if (!linksTo(chain, event)) return chain.next;
    chain = { next: chain.next + 1n, hash: event.metadata.hash! };
  }
  return undefined;
}
