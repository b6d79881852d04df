import type { EventStore, RecordedEvent } from '@reclaim/event-store';
import { pageOf } from './cursor';

/** An event as a history shows it: what happened, when, by whom, and in answer to what. */
export interface HistoryEntry {
  position: string;
  revision: string;
  type: string;
  occurredAt: string;
  recordedAt: string;
  actor: { kind: string; id: string };
  correlationId?: string;
  causationId?: string;
  data: unknown;
}

type EventData = Record<string, unknown>;

const without =
  (field: string) =>
  (data: EventData): EventData =>
    Object.fromEntries(Object.entries(data).filter(([key]) => key !== field));

/**
 * What a history shows of an event's data, where that is less than all of it. Hashes and sealed
 * secrets are for the engine only: never shown, even to auditors, nor written by an export.
 */
const SHOWN_DATA: Record<string, (data: EventData) => EventData> = {
  TicketSubmitted: without('requesterTokenHash'),
  RequesterTokenReplaced: without('requesterTokenHash'),
  // A set of codes is told by how many there were and where they came from.
  RecoveryCodesIssued: (data) => ({ source: data.source, count: (data.codes as unknown[]).length }),
  TotpEnrolled: without('sealedSecret'),
  StaffCreated: without('tokenHash'),
  StaffTokenReplaced: without('tokenHash'),
  WebhookCreated: without('sealedSecret'),
  WebhookSecretRotated: without('sealedSecret'),
};

export function toHistoryEntry(event: RecordedEvent): HistoryEntry {
  const data = event.data as EventData;
  return {
    position: event.position.toString(),
    revision: event.revision.toString(),
    type: event.type,
    occurredAt: event.metadata.occurredAt,
    recordedAt: event.recordedAt,
    actor: event.metadata.actor ?? { kind: 'system', id: 'unknown' },
    correlationId: event.metadata.correlationId,
    causationId: event.metadata.causationId,
    data: SHOWN_DATA[event.type]?.(data) ?? data,
  };
}

/** Which part of a history: the entries after revision `after` (from the first when not given), at most `limit` (all when not given). */
export interface HistoryRange {
  limit?: number;
  after?: number;
}

/** Part of a history, with the cursor of the next part when more follows. */
export interface HistoryPage {
  events: HistoryEntry[];
  next?: string;
}

/**
 * One stream's events (a ticket's, an account's), in order, as a history shows them; undefined
 * when the stream has none at all, as a page after its last event is empty but still its own.
 */
export async function readHistory(store: EventStore, stream: string, { limit, after }: HistoryRange = {}): Promise<HistoryPage | undefined> {
  const fromRevision = after === undefined ? 0n : BigInt(after) + 1n;
  const read = await store.readStream(stream, { fromRevision, maxCount: limit === undefined ? undefined : limit + 1 });
  if (read.length === 0 && (fromRevision === 0n || (await store.readStream(stream, { maxCount: 1 })).length === 0)) return undefined;
  const { page, next } = pageOf(read, limit ?? read.length, (event) => Number(event.revision));
  return { events: page.map(toHistoryEntry), ...(next && { next }) };
}
