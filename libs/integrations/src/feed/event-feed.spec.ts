import { SqliteEventStore } from '@reclaim/event-store';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamEvents } from './event-feed';

describe('the event feed', () => {
  it('ends a quiet stream at its next heartbeat once its credential is revoked, with no event to carry the news', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'reclaim-feed-'));
    const store = new SqliteEventStore(join(dir, 'reclaim.sqlite'));
    let allowed = true;
    const server = createServer((_request, response) => {
      void streamEvents(store, response, { signal: new AbortController().signal, allowed: () => allowed, heartbeatMs: 50 });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      let received = '';
      let heartbeats = 0;
      const ended = (async () => {
        const decoder = new TextDecoder();
        for await (const chunk of response.body!) {
          received += decoder.decode(chunk as Uint8Array);
          heartbeats = received.split(': heartbeat').length - 1;
        }
      })();
      // Alive while allowed: heartbeats come, and the stream stays open.
      while (heartbeats < 2) await new Promise((resolve) => setTimeout(resolve, 10));
      allowed = false;
      await Promise.race([ended, new Promise((_, reject) => setTimeout(() => reject(new Error('the stream stayed open')), 2000))]);
      expect(received.startsWith(': reclaim event feed')).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
