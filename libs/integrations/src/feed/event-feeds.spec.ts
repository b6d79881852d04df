import { getMaxListeners } from 'node:events';
import { EventFeeds, STREAMS_PER_CREDENTIAL } from './event-feeds';

describe('open event streams', () => {
  it('counts streams per credential, and lets one go once', () => {
    const feeds = new EventFeeds();
    const releases = Array.from({ length: STREAMS_PER_CREDENTIAL }, () => feeds.open('integrator'));
    expect(releases.every((release) => typeof release === 'function')).toBe(true);
    expect(feeds.open('integrator')).toBeUndefined();
    expect(feeds.open('another')).toEqual(expect.any(Function));
    releases[0]!();
    expect(feeds.open('integrator')).toEqual(expect.any(Function));
  });

  it('lets every open stream listen for the shutdown without Node taking them for a leak', () => {
    const feeds = new EventFeeds();
    // Node warns of a leak past its limit of listeners, 10 unless set.
    expect(getMaxListeners(feeds.signal)).toBe(Infinity);
    let stopped = 0;
    for (let i = 0; i < 3 * STREAMS_PER_CREDENTIAL; i++) feeds.signal.addEventListener('abort', () => stopped++, { once: true });
    feeds.onModuleDestroy();
    expect(stopped).toBe(3 * STREAMS_PER_CREDENTIAL);
  });
});
