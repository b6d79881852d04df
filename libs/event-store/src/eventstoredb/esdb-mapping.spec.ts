import { matches, serverFilter, toRecordedEvent } from './esdb-event-store';

/**
 * The EventStoreDB adapter's own translations, which run without a server: how a resolved event
 * becomes a RecordedEvent, and which filter goes to the server. (The adapter against a real
 * server is the contract suite, run when EVENTSTORE_CONNECTION_STRING is set.)
 */
const resolved = (overrides: Record<string, unknown> = {}) => ({
  event: {
    streamId: 'ticket-1',
    id: '2b4c1a52-7c1c-4bd1-a1b5-0f9c4c6a1e01',
    isJson: true,
    revision: 3n,
    type: 'NoteAdded',
    created: new Date('2026-01-02T03:04:05.000Z'),
    data: { body: 'n' },
    metadata: { occurredAt: '2026-01-02T03:04:04.000Z', schemaVersion: 1, prevHash: 'a', hash: 'b' },
    position: { commit: 1234n, prepare: 1234n },
    ...overrides,
  },
});

describe('EventStoreDB adapter mapping', () => {
  it('maps a resolved event with the commit position as the position', () => {
    expect(toRecordedEvent(resolved() as never)).toEqual({
      id: '2b4c1a52-7c1c-4bd1-a1b5-0f9c4c6a1e01',
      type: 'NoteAdded',
      data: { body: 'n' },
      metadata: { occurredAt: '2026-01-02T03:04:04.000Z', schemaVersion: 1, prevHash: 'a', hash: 'b' },
      streamName: 'ticket-1',
      revision: 3n,
      position: 1234n,
      recordedAt: '2026-01-02T03:04:05.000Z',
    });
  });

  it('drops system events, system streams and binary events', () => {
    expect(toRecordedEvent(resolved({ type: '$metadata' }) as never)).toBeUndefined();
    expect(toRecordedEvent(resolved({ streamId: '$stats-127.0.0.1:2113' }) as never)).toBeUndefined();
    expect(toRecordedEvent(resolved({ isJson: false }) as never)).toBeUndefined();
    expect(toRecordedEvent({} as never)).toBeUndefined();
  });

  it('sends the narrower filter to the server and checks the rest here', () => {
    expect(serverFilter({ eventTypes: ['TicketVerified', 'a.b'] })).toMatchObject({ filterOn: 'eventType', regex: '^(TicketVerified|a\\.b)$' });
    expect(serverFilter({ streamPrefixes: ['ticket-'] })).toMatchObject({ filterOn: 'streamName', prefixes: ['ticket-'] });
    expect(serverFilter({})).toMatchObject({ filterOn: 'eventType' });
    const keep = matches({ streamPrefixes: ['ticket-'], eventTypes: ['NoteAdded'] });
    const event = toRecordedEvent(resolved() as never)!;
    expect(keep(event)).toBe(true);
    expect(keep({ ...event, type: 'TicketVerified' })).toBe(false);
    expect(keep({ ...event, streamName: 'account-zoe' })).toBe(false);
  });
});
