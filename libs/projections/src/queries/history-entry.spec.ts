import type { RecordedEvent } from '@reclaim/event-store';
import { toHistoryEntry } from './history-entry';

describe('toHistoryEntry', () => {
  it('shows an event stored without an actor (written by another tool) as the system\'s, not without one', () => {
    const event = {
      id: 'e-1', type: 'NoteAdded', data: { body: 'b', author: 's-1' }, streamName: 'ticket-t', revision: 0n, position: 1n, recordedAt: '2026-01-01T00:00:01.000Z',
      metadata: { occurredAt: '2026-01-01T00:00:00.000Z', schemaVersion: 1 },
    } as RecordedEvent;
    expect(toHistoryEntry(event)).toEqual({
      position: '1', revision: '0', type: 'NoteAdded', occurredAt: '2026-01-01T00:00:00.000Z', recordedAt: '2026-01-01T00:00:01.000Z',
      actor: { kind: 'system', id: 'unknown' }, correlationId: undefined, causationId: undefined, data: { body: 'b', author: 's-1' },
    });
  });
});
