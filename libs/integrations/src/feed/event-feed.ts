import type { EventStore } from '@reclaim/event-store';
import type { ServerResponse } from 'node:http';
import { internalTypesFor, toCloudEvent } from '../cloud-events';

const HEARTBEAT_MS = 15_000;

/**
 * Streams public events as Server-Sent Events: catch-up, then live, from one subscription that
 * always reads "after the last position sent", so there is no gap and no duplicate between the
 * two. Each event's `id:` is its position, so `Last-Event-ID` resumes exactly. The next event is
 * read only once the socket has taken the previous one (back-pressure): a slow reader costs
 * nothing but its own pace.
 */
export async function streamEvents(
  store: EventStore,
  response: ServerResponse,
  options: {
    after?: bigint;
    types?: string[];
    signal: AbortSignal;
    /** Asked before each event and at each heartbeat: false ends the stream (a revoked credential). */
    allowed: () => boolean;
    /** Headers of the server's own, such as the request id (the answer bypasses its hooks). */
    headers?: Record<string, string>;
    /** How often a quiet stream says it is alive, and checks that it is still `allowed`. */
    heartbeatMs?: number;
  },
): Promise<void> {
  response.writeHead(200, {
    ...options.headers,
    'content-type': 'text/event-stream; charset=utf-8',
    // Events carry personal data (a verified ticket's contact email): no cache may keep them, as
    // for every other answer; no-transform keeps proxies from buffering or compressing the stream.
    'cache-control': 'no-store, no-transform',
    'x-content-type-options': 'nosniff',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  // HEAD asks for these headers alone. A stream with no body would never send them (Node holds
  // headers back until the first byte of body or the end), and would hold one of the caller's places.
  if (response.req.method === 'HEAD') return void response.end();
  response.write(': reclaim event feed\nretry: 2000\n\n');
  const subscription = store.subscribeToAll({ fromPosition: options.after, filter: { eventTypes: internalTypesFor(options.types) } });
  const stop = () => void subscription.close();
  options.signal.addEventListener('abort', stop, { once: true });
  response.once('close', stop);
  const heartbeat = setInterval(() => (options.allowed() ? response.write(': heartbeat\n\n') : stop()), options.heartbeatMs ?? HEARTBEAT_MS);
  try {
    for await (const event of subscription) {
      if (!options.allowed()) break;
      // The subscription reads only the internal types behind the public ones asked for.
      const cloudEvent = toCloudEvent(event);
      if (!cloudEvent) continue;
      const written = response.write(`id: ${event.position}\nevent: ${cloudEvent.type}\ndata: ${JSON.stringify(cloudEvent)}\n\n`);
      if (!written) await drainedOrClosed(response);
      if (response.destroyed) break;
    }
  } finally {
    clearInterval(heartbeat);
    options.signal.removeEventListener('abort', stop);
    await subscription.close();
    if (!response.destroyed) response.end();
  }
}

/**
 * Resolves once the socket takes more, or is gone, and takes both listeners off again: a stream
 * to a slow reader waits thousands of times, and each wait left one behind (a leak for as long as
 * the stream stays open).
 */
function drainedOrClosed(response: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      response.off('drain', done).off('close', done);
      resolve();
    };
    response.once('drain', done).once('close', done);
  });
}
