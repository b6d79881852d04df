import { SqliteEventStore } from '@reclaim/event-store';
import { settlesWithin } from '@reclaim/recovery/testing';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type ServerResponse } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { streamEvents } from './event-feed';

/**
 * Serves about 10 MB of feed (more than the kernel's socket buffers take for a reader that reads
 * nothing) to a raw socket, whose request is sent; `test` drives the reader and looks at the answer.
 */
async function withLargeFeed(test: (reader: Socket, answer: () => ServerResponse) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'reclaim-feed-'));
  const store = new SqliteEventStore(join(dir, 'reclaim.sqlite'));
  const metadata = { occurredAt: '2026-01-01T00:00:00.000Z', schemaVersion: 1, actor: { kind: 'staff' as const, id: 's' } };
  for (let batch = 0; batch < 30; batch++) {
    const events = Array.from({ length: 1000 }, (_, i) => ({ id: `e-${batch}-${i}`, type: 'TicketRejected', data: { reason: 'other'.padEnd(200, '.'), note: 'n', rejectedBy: { kind: 'staff', id: 's-1' } }, metadata }));
    await store.appendToStream(`ticket-t${batch}`, events);
  }
  let response: ServerResponse | undefined;
  const server = createServer((_request, answer) => {
    response = answer;
    void streamEvents(store, answer, { signal: new AbortController().signal, allowed: () => true });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const reader = connect((server.address() as AddressInfo).port, '127.0.0.1');
  try {
    reader.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n');
    await test(reader, () => response!);
  } finally {
    reader.destroy();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

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
      if (!(await settlesWithin(ended, 2000))) throw new Error('the stream stayed open');
      expect(received.startsWith(': reclaim event feed')).toBe(true);
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads the next event only once the socket has taken the last: a reader that stops reading holds up its stream, not the server\'s memory', () =>
    withLargeFeed(async (reader, answer) => {
      // The reader takes the first bytes, then reads no more.
      await new Promise((resolve) => reader.once('data', resolve));
      reader.pause();
      await new Promise((resolve) => setTimeout(resolve, 1000));
      // Waiting in the server's memory: at most about one event beyond the socket's own buffer.
      expect(answer().writableLength).toBeLessThan(64 * 1024);
    }), 30000);

  it('leaves no listener behind on the answer from waiting for a slow reader, however often it waits', () =>
    withLargeFeed(async (reader, answer) => {
      // The reader takes a chunk, then pauses a moment: the feed waits for it again and again.
      let received = 0;
      reader.on('data', (chunk: Buffer) => {
        received += chunk.length;
        reader.pause();
        setTimeout(() => reader.resume(), 1);
      });
      while (received < 5_000_000) await new Promise((resolve) => setTimeout(resolve, 10));
      expect(answer().listenerCount('close')).toBeLessThan(5);
      expect(answer().listenerCount('drain')).toBeLessThan(5);
    }), 30000);
});
