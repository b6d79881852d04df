import { randomUUID } from 'node:crypto';
import { DuplicateEventIds, WrongExpectedRevision } from '../errors';
import type { EventStore, NewEvent, RecordedEvent, Subscription } from '../event-store.port';
import { firstBrokenLink } from './first-broken-link';

/** Opens a store; `reopen` opens the same data again as a fresh instance (durability checks). */
export interface StoreFactory {
  open(): Promise<EventStore>;
}

export function newEvent(type = 'Tested', data: unknown = {}, id: string = randomUUID()): NewEvent {
  return { id, type, data, metadata: { occurredAt: new Date().toISOString(), schemaVersion: 1 } };
}

async function take(subscription: Subscription, count: number, timeoutMs = 15000): Promise<RecordedEvent[]> {
  const seen: RecordedEvent[] = [];
  const timer = setTimeout(() => void subscription.close(), timeoutMs);
  for await (const event of subscription) {
    seen.push(event);
    if (seen.length === count) break;
  }
  clearTimeout(timer);
  await subscription.close();
  return seen;
}

/**
 * The behaviour every EventStore adapter must have. Each test writes to streams of its own, so the
 * suite also runs against a long-lived shared server.
 */
export function eventStoreContract(name: string, factory: StoreFactory): void {
  describe(`EventStore contract: ${name}`, () => {
    let store: EventStore;
    let prefix: string;
    const stream = (suffix: string) => `${prefix}-${suffix}`;

    beforeAll(async () => {
      store = await factory.open();
    });
    afterAll(async () => {
      await store.close();
    });
    beforeEach(() => {
      prefix = `t${randomUUID().replace(/-/g, '').slice(0, 12)}`;
    });

    describe('appendToStream and expected revisions', () => {
      it('numbers a new stream from revision 0 and reports the next expected revision and position', async () => {
        const first = await store.appendToStream(stream('a'), [newEvent(), newEvent()], { expectedRevision: 'no_stream' });
        expect(first.nextExpectedRevision).toBe(1n);
        const second = await store.appendToStream(stream('a'), [newEvent()], { expectedRevision: 1n });
        expect(second.nextExpectedRevision).toBe(2n);
        expect(second.position).toBeGreaterThan(first.position);
        const events = await store.readStream(stream('a'));
        expect(events.map((e) => e.revision)).toEqual([0n, 1n, 2n]);
        expect(events[2]!.position).toBe(second.position);
      });

      it('no_stream refuses an existing stream and carries the actual revision', async () => {
        await store.appendToStream(stream('a'), [newEvent()]);
        const error = await store.appendToStream(stream('a'), [newEvent()], { expectedRevision: 'no_stream' }).catch((e) => e);
        expect(error).toBeInstanceOf(WrongExpectedRevision);
        expect(error.actual).toBe(0n);
      });

      it('stream_exists refuses a missing stream and accepts an existing one', async () => {
        const error = await store.appendToStream(stream('a'), [newEvent()], { expectedRevision: 'stream_exists' }).catch((e) => e);
        expect(error).toBeInstanceOf(WrongExpectedRevision);
        expect(error.actual).toBe(-1n);
        await store.appendToStream(stream('a'), [newEvent()], { expectedRevision: 'no_stream' });
        await expect(store.appendToStream(stream('a'), [newEvent()], { expectedRevision: 'stream_exists' })).resolves.toMatchObject({
          nextExpectedRevision: 1n,
        });
      });

      it('an exact revision must match the last one, and a stale one changes nothing', async () => {
        await store.appendToStream(stream('a'), [newEvent(), newEvent(), newEvent()]);
        const stale = await store.appendToStream(stream('a'), [newEvent()], { expectedRevision: 1n }).catch((e) => e);
        expect(stale).toBeInstanceOf(WrongExpectedRevision);
        expect(stale.actual).toBe(2n);
        expect(stale.expected).toBe(1n);
        expect(await store.readStream(stream('a'))).toHaveLength(3);
        await store.appendToStream(stream('a'), [newEvent()], { expectedRevision: 2n });
        expect(await store.readStream(stream('a'))).toHaveLength(4);
      });

      it('any appends whatever the stream holds', async () => {
        await store.appendToStream(stream('a'), [newEvent()], { expectedRevision: 'any' });
        await store.appendToStream(stream('a'), [newEvent()], { expectedRevision: 'any' });
        expect(await store.readStream(stream('a'))).toHaveLength(2);
      });
    });

    describe('idempotent re-append', () => {
      it('re-appending a batch with the same ids is a no-op that answers as the first time, and says it is a repeat', async () => {
        const batch = [newEvent('A'), newEvent('B')];
        const first = await store.appendToStream(stream('a'), batch, { expectedRevision: 'no_stream' });
        expect(first.repeated).toBeUndefined();
        await store.appendToStream(stream('a'), [newEvent('C')]);
        const again = await store.appendToStream(stream('a'), batch, { expectedRevision: 'no_stream' });
        expect(again).toEqual({ ...first, repeated: true });
        expect((await store.readStream(stream('a'))).map((e) => e.type)).toEqual(['A', 'B', 'C']);
      });

      it('re-appending with expected revision any is still applied once', async () => {
        const batch = [newEvent('A')];
        await store.appendToStream(stream('a'), batch);
        await store.appendToStream(stream('a'), batch);
        expect(await store.readStream(stream('a'))).toHaveLength(1);
      });

      it('recognises a retry after many more appends to the same stream (as on the ticket-number counter)', async () => {
        const batch = [newEvent('A')];
        const first = await store.appendToStream(stream('counter'), batch, { expectedRevision: 'any' });
        for (let i = 0; i < 200; i++) await store.appendToStream(stream('counter'), [newEvent()], { expectedRevision: 'any' });
        expect(await store.appendToStream(stream('counter'), batch, { expectedRevision: 'any' })).toEqual({ ...first, repeated: true });
        const events = await store.readStream(stream('counter'));
        expect(events).toHaveLength(201);
        // The next append still links to the true last event.
        await store.appendToStream(stream('counter'), [newEvent('B')], { expectedRevision: 'any' });
        const [last, before] = await store.readStream(stream('counter'), { direction: 'backwards', maxCount: 2 });
        expect(last!.metadata.prevHash).toBe(before!.metadata.hash);
      });

      it('is durable: a new instance on the same data still recognises old ids', async () => {
        const batch = [newEvent('A')];
        await store.appendToStream(stream('a'), batch);
        for (let i = 0; i < 50; i++) await store.appendToStream(stream('other'), [newEvent()]);
        const reopened = await factory.open();
        try {
          await reopened.appendToStream(stream('a'), batch);
          expect(await reopened.readStream(stream('a'))).toHaveLength(1);
        } finally {
          await reopened.close();
        }
      });

      it('refuses a batch that reuses only some ids', async () => {
        const a = newEvent('A');
        await store.appendToStream(stream('a'), [a]);
        await expect(store.appendToStream(stream('a'), [a, newEvent('B')])).rejects.toBeInstanceOf(DuplicateEventIds);
        expect(await store.readStream(stream('a'))).toHaveLength(1);
      });

      it('refuses a batch of ids that are all stored, but by separate appends or out of their order', async () => {
        const [a, b, c] = [newEvent('A'), newEvent('B'), newEvent('C')];
        await store.appendToStream(stream('a'), [a]);
        await store.appendToStream(stream('a'), [newEvent('Between')]);
        await store.appendToStream(stream('a'), [b, c]);
        await expect(store.appendToStream(stream('a'), [a, b])).rejects.toBeInstanceOf(DuplicateEventIds);
        await expect(store.appendToStream(stream('a'), [c, b])).rejects.toBeInstanceOf(DuplicateEventIds);
        expect(await store.appendToStream(stream('a'), [b, c])).toMatchObject({ nextExpectedRevision: 3n });
        expect((await store.readStream(stream('a'))).map((e) => e.type)).toEqual(['A', 'Between', 'B', 'C']);
      });

      it('refuses a batch that repeats an id of its own', async () => {
        const a = newEvent('A');
        await expect(store.appendToStream(stream('a'), [a, newEvent('B'), a])).rejects.toBeInstanceOf(DuplicateEventIds);
        expect(await store.readStream(stream('a'))).toEqual([]);
      });
    });

    describe('concurrency', () => {
      it('of many writers racing for the same revision, exactly one wins', async () => {
        await store.appendToStream(stream('race'), [newEvent()]);
        const outcomes = await Promise.allSettled(
          Array.from({ length: 10 }, (_, i) => store.appendToStream(stream('race'), [newEvent('W', { i })], { expectedRevision: 0n })),
        );
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        for (const o of outcomes) if (o.status === 'rejected') expect(o.reason).toBeInstanceOf(WrongExpectedRevision);
        expect(await store.readStream(stream('race'))).toHaveLength(2);
      });

      it('writers that retry on conflict lose and duplicate nothing', async () => {
        const writers = 5;
        const perWriter = 8;
        const write = async (writer: number) => {
          for (let n = 0; n < perWriter; n++) {
            for (;;) {
              const [last] = await store.readStream(stream('race'), { direction: 'backwards', maxCount: 1 });
              try {
                await store.appendToStream(stream('race'), [newEvent('W', { writer, n })], {
                  expectedRevision: last ? last.revision : 'no_stream',
                });
                break;
              } catch (error) {
                if (!(error instanceof WrongExpectedRevision)) throw error;
              }
            }
          }
        };
        await Promise.all(Array.from({ length: writers }, (_, w) => write(w)));
        const events = await store.readStream(stream('race'));
        expect(events.map((e) => e.revision)).toEqual(events.map((_, i) => BigInt(i)));
        const written = events.map((e) => JSON.stringify(e.data)).sort();
        expect(new Set(written).size).toBe(writers * perWriter);
        for (let w = 0; w < writers; w++) {
          const mine = events.filter((e) => (e.data as { writer: number }).writer === w).map((e) => (e.data as { n: number }).n);
          expect(mine).toEqual([...mine].sort((a, b) => a - b));
        }
      });
    });

    describe('reading', () => {
      it('reads a stream forwards and backwards, from a revision, up to a count', async () => {
        await store.appendToStream(stream('r'), Array.from({ length: 5 }, (_, i) => newEvent('E', { i })));
        const data = (events: RecordedEvent[]) => events.map((e) => (e.data as { i: number }).i);
        expect(data(await store.readStream(stream('r')))).toEqual([0, 1, 2, 3, 4]);
        expect(data(await store.readStream(stream('r'), { fromRevision: 2n, maxCount: 2 }))).toEqual([2, 3]);
        expect(data(await store.readStream(stream('r'), { direction: 'backwards' }))).toEqual([4, 3, 2, 1, 0]);
        expect(data(await store.readStream(stream('r'), { direction: 'backwards', fromRevision: 3n, maxCount: 2 }))).toEqual([3, 2]);
        // Past the end (a command catching up on its cached state, a history page after the last):
        // nothing, rather than an error.
        expect(data(await store.readStream(stream('r'), { fromRevision: 5n }))).toEqual([]);
        expect(data(await store.readStream(stream('r'), { fromRevision: 9n, maxCount: 3 }))).toEqual([]);
      });

      it('reads an unknown stream as empty', async () => {
        expect(await store.readStream(stream('nothing'))).toEqual([]);
      });

      it('reads all events in commit order, from a position, filtered by stream prefix or type', async () => {
        await store.appendToStream(stream('x-1'), [newEvent('Keep', { n: 1 })]);
        await store.appendToStream(stream('y-1'), [newEvent('Drop', { n: 2 })]);
        await store.appendToStream(stream('x-2'), [newEvent('Drop', { n: 3 }), newEvent('Keep', { n: 4 })]);
        const mine = await store.readAll({ filter: { streamPrefixes: [prefix] } });
        expect(mine.map((e) => (e.data as { n: number }).n)).toEqual([1, 2, 3, 4]);
        const positions = mine.map((e) => e.position);
        expect(positions).toEqual([...positions].sort((a, b) => (a < b ? -1 : 1)));
        expect(new Set(positions).size).toBe(4);

        const byPrefix = await store.readAll({ filter: { streamPrefixes: [stream('x-')] } });
        expect(byPrefix.map((e) => (e.data as { n: number }).n)).toEqual([1, 3, 4]);
        const byType = (await store.readAll({ fromPosition: positions[0], filter: { eventTypes: ['Keep'] } })).filter((e) =>
          e.streamName.startsWith(prefix),
        );
        expect(byType.map((e) => (e.data as { n: number }).n)).toEqual([1, 4]);
        const fromThird = await store.readAll({ fromPosition: positions[2], filter: { streamPrefixes: [prefix] } });
        expect(fromThird.map((e) => (e.data as { n: number }).n)).toEqual([3, 4]);
        const two = await store.readAll({ fromPosition: positions[0], maxCount: 2, filter: { streamPrefixes: [prefix] } });
        expect(two).toHaveLength(2);
        const afterFirst = await store.readAll({ after: positions[0], filter: { streamPrefixes: [prefix] } });
        expect(afterFirst.map((e) => (e.data as { n: number }).n)).toEqual([2, 3, 4]);
        expect(await store.readAll({ after: positions[3], filter: { streamPrefixes: [prefix] } })).toEqual([]);
      });

      it('pages through the log after a position, as a checkpoint does, whatever pages the store reads in', async () => {
        for (let batch = 0; batch < 12; batch++) {
          await store.appendToStream(stream(`paged-${batch}`), Array.from({ length: 100 }, (_, i) => newEvent('Paged', { n: batch * 100 + i })));
        }
        const seen: number[] = [];
        let after = 0n;
        for (;;) {
          const page = await store.readAll({ after, maxCount: 250, filter: { streamPrefixes: [stream('paged-')] } });
          if (page.length === 0) break;
          seen.push(...page.map((e) => (e.data as { n: number }).n));
          if (seen.length > 1200) break; // a page read again: the loop would not end
          after = page[page.length - 1]!.position;
        }
        expect(seen).toEqual(Array.from({ length: 1200 }, (_, i) => i));
        const whole = await store.readAll({ filter: { streamPrefixes: [stream('paged-')] } });
        expect(whole).toHaveLength(1200);
      });

      it('finds the event at a position, and none at a number it never gave out or past the end', async () => {
        await store.appendToStream(stream('at'), [newEvent('First', { n: 1 }), newEvent('Second', { n: 2 })]);
        const [first, second] = await store.readAll({ filter: { streamPrefixes: [stream('at')] } });
        expect(await store.eventAt(first!.position)).toEqual(first);
        expect(await store.eventAt(second!.position)).toEqual(second);
        const head = await store.headPosition();
        expect(await store.eventAt(head + 1_000_000n)).toBeUndefined();
        expect(await store.eventAt(0n)).toBeUndefined();
        expect(await store.eventAt(99_999_999_999_999_999_999n)).toBeUndefined();
      });

      it('stores every field and round-trips JSON, unicode and large payloads exactly', async () => {
        const data = {
          text: 'Zoë 👩🏽‍💻 — naïve café ✓ 漢字 \u202e rtl \\ "quotes" \n\t',
          nested: { list: [1, 2.5, -0, null, true, 'x'], empty: {}, deep: [[[{ a: 1 }]]] },
          big: 'x'.repeat(500_000),
          max: Number.MAX_SAFE_INTEGER,
        };
        const event: NewEvent = {
          id: randomUUID(),
          type: 'Payload',
          data,
          metadata: {
            actor: { kind: 'staff', id: 's-1' },
            correlationId: 'c-1',
            causationId: 'k-1',
            occurredAt: '2026-01-02T03:04:05.678Z',
            schemaVersion: 3,
          },
        };
        const { position } = await store.appendToStream(stream('p'), [event]);
        const [read] = await store.readStream(stream('p'));
        expect(read!.id).toBe(event.id);
        expect(read!.type).toBe('Payload');
        expect(read!.data).toEqual(JSON.parse(JSON.stringify(data)));
        expect(read!.metadata).toMatchObject(event.metadata);
        expect(read!.streamName).toBe(stream('p'));
        expect(read!.revision).toBe(0n);
        expect(read!.position).toBe(position);
        expect(Number.isNaN(Date.parse(read!.recordedAt))).toBe(false);
      });

      it('chains each event to its predecessor by hash', async () => {
        await store.appendToStream(stream('h'), [newEvent(), newEvent()]);
        await store.appendToStream(stream('h'), [newEvent()]);
        const events = await store.readStream(stream('h'));
        expect(events[0]!.metadata.prevHash).toBe('');
        expect(events[1]!.metadata.prevHash).toBe(events[0]!.metadata.hash);
        expect(firstBrokenLink(events)).toBeUndefined();
        const altered = events.map((e, i) => (i === 1 ? { ...e, data: { forged: true } } : e));
        expect(firstBrokenLink(altered)).toBe(1n);
      });
    });

    describe('a copy of a log', () => {
      it('keeps the time another store recorded an event first, where given, on every read, and records its own time otherwise', async () => {
        const first = '2025-02-03T04:05:06.789Z';
        const before = Date.now();
        const { position } = await store.appendToStream(stream('c'), [{ ...newEvent(), recordedAt: first }, newEvent()]);
        const [copied, own] = await store.readStream(stream('c'));
        expect(copied!.recordedAt).toBe(first);
        expect(Date.parse(own!.recordedAt)).toBeGreaterThanOrEqual(before - 1000);
        expect((await store.readAll({ fromPosition: copied!.position, maxCount: 1 }))[0]).toEqual(copied);
        expect((await store.eventAt(copied!.position))!.recordedAt).toBe(first);
        expect(own!.position).toBe(position);
        // The time is no part of the event itself: its metadata and hash are as without it.
        expect(Object.keys(copied!.metadata).sort()).toEqual(Object.keys(own!.metadata).sort());
        expect(firstBrokenLink([copied!, own!])).toBeUndefined();
      });
    });

    describe('subscribeToAll', () => {
      const onlyMine = () => ({ streamPrefixes: [prefix] });

      it('delivers past events from the start, then live ones', async () => {
        await store.appendToStream(stream('s'), [newEvent('E', { n: 0 }), newEvent('E', { n: 1 })]);
        const subscription = store.subscribeToAll({ filter: onlyMine() });
        const received = take(subscription, 4);
        await new Promise((r) => setTimeout(r, 200));
        await store.appendToStream(stream('s'), [newEvent('E', { n: 2 })]);
        await store.appendToStream(stream('t'), [newEvent('E', { n: 3 })]);
        expect((await received).map((e) => (e.data as { n: number }).n)).toEqual([0, 1, 2, 3]);
      });

      it('starts after a given position', async () => {
        await store.appendToStream(stream('s'), [newEvent('E', { n: 0 })]);
        const { position } = await store.appendToStream(stream('s'), [newEvent('E', { n: 1 })]);
        await store.appendToStream(stream('s'), [newEvent('E', { n: 2 })]);
        const received = await take(store.subscribeToAll({ fromPosition: position, filter: onlyMine() }), 1);
        expect(received.map((e) => (e.data as { n: number }).n)).toEqual([2]);
      });

      it('filters by event type', async () => {
        await store.appendToStream(stream('s'), [newEvent('Skip'), newEvent('Want', { n: 1 }), newEvent('Skip')]);
        await store.appendToStream(stream('s'), [newEvent('Want', { n: 2 })]);
        const subscription = store.subscribeToAll({ filter: { eventTypes: ['Want'] } });
        const mine: RecordedEvent[] = [];
        for await (const event of subscription) {
          if (event.streamName.startsWith(prefix)) mine.push(event);
          if (mine.length === 2) break;
        }
        await subscription.close();
        expect(mine.map((e) => e.type)).toEqual(['Want', 'Want']);
      });

      it('switches from catch-up to live under concurrent appends with no gap and no duplicate', async () => {
        const total = 300;
        const writer = (async () => {
          for (let n = 0; n < total; n++) {
            await store.appendToStream(stream(`w${n % 3}`), [newEvent('E', { n })]);
            if (n % 25 === 0) await new Promise((r) => setTimeout(r, 5));
          }
        })();
        await new Promise((r) => setTimeout(r, 20));
        const received = take(store.subscribeToAll({ filter: onlyMine() }), total, 30000);
        await writer;
        const numbers = (await received).map((e) => (e.data as { n: number }).n);
        expect(numbers).toEqual(Array.from({ length: total }, (_, n) => n));
      });

      it('does not drop events for a slow consumer', async () => {
        const total = 60;
        const subscription = store.subscribeToAll({ filter: onlyMine() });
        for (let n = 0; n < total; n++) await store.appendToStream(stream('slow'), [newEvent('E', { n })]);
        const seen: number[] = [];
        for await (const event of subscription) {
          await new Promise((r) => setTimeout(r, 2));
          seen.push((event.data as { n: number }).n);
          if (seen.length === total) break;
        }
        await subscription.close();
        expect(seen).toEqual(Array.from({ length: total }, (_, n) => n));
      });

      it('ends iteration when closed', async () => {
        const subscription = store.subscribeToAll({ filter: onlyMine() });
        const done = (async () => {
          let count = 0;
          for await (const _ of subscription) count++;
          return count;
        })();
        await new Promise((r) => setTimeout(r, 150));
        await subscription.close();
        await expect(done).resolves.toBe(0);
      });
    });
  });
}
