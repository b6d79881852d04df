import type { RecordedEvent } from '@reclaim/event-store';
import { randomUUID } from 'node:crypto';
import { ACCOUNT_STREAM_PREFIX, TICKET_STREAM_PREFIX, type AccountEvent, type TicketEvent } from '@reclaim/recovery';

/** CloudEvents 1.0, structured JSON, as integrators receive them. */
export interface CloudEvent {
  specversion: '1.0';
  id: string;
  source: string;
  type: PublicEventType | typeof PING_EVENT_TYPE;
  subject: string;
  time: string;
  datacontenttype: 'application/json';
  data: Record<string, unknown>;
}

export const PUBLIC_EVENT_TYPES = [
  'recovery.ticket.submitted.v1',
  'recovery.ticket.assigned.v1',
  'recovery.ticket.info-requested.v1',
  'recovery.ticket.info-provided.v1',
  'recovery.ticket.evidence-recorded.v1',
  'recovery.ticket.verified.v1',
  'recovery.ticket.rejected.v1',
  'recovery.account.recovery-code-used.v1',
  // Additions: a ticket whose holder was deactivated is no one's again; a question waits for its
  // answer, which is due soon.
  'recovery.ticket.released.v1',
  'recovery.ticket.reminded.v1',
] as const;
export type PublicEventType = (typeof PUBLIC_EVENT_TYPES)[number];

export const CLOUD_EVENT_SOURCE = '/reclaim';

/**
 * What `POST /v1/webhooks/{id}/ping` sends (addition): no event of the log, for an integrator
 * to try a receiver and its check of signatures. No subscription asks for it by type.
 */
export const PING_EVENT_TYPE = 'recovery.webhook.ping.v1';

export function pingEvent(webhookId: string, at: Date): CloudEvent {
  return {
    specversion: '1.0',
    id: `ping-${randomUUID()}`,
    source: CLOUD_EVENT_SOURCE,
    type: PING_EVENT_TYPE,
    subject: webhookId,
    time: at.toISOString(),
    datacontenttype: 'application/json',
    data: { webhookId },
  };
}

type Mapping = { type: PublicEventType; subject: (data: any, stream: string) => string; data: (data: any, stream: string) => Record<string, unknown> };
const ticketId = (_: unknown, stream: string) => stream.slice(TICKET_STREAM_PREFIX.length);
/** The requester's contact address, which events recorded before 2026-11-29 leave out but for the submission and the verification. */
const contactOf = (data: { contactEmail?: string }) => (data.contactEmail === undefined ? {} : { contactEmail: data.contactEmail });

/**
 * Which internal events are published, and as what. Anything not listed (internal notes,
 * approvals, priorities, requester messages, accounts' secrets) is never published,
 * and each mapping picks its fields one by one: nothing reaches integrators by accident.
 */
const MAPPINGS: Partial<Record<TicketEvent['type'] | AccountEvent['type'], Mapping>> = {
  TicketSubmitted: {
    type: 'recovery.ticket.submitted.v1',
    subject: ticketId,
    data: (d) => ({ ticketId: d.ticketId, ticketNumber: d.ticketNumber, username: d.username, reason: d.reason, contactEmail: d.contactEmail }),
  },
  TicketAssigned: { type: 'recovery.ticket.assigned.v1', subject: ticketId, data: (d, s) => ({ ticketId: ticketId(d, s), assignee: d.assignee }) },
  TicketReleased: { type: 'recovery.ticket.released.v1', subject: ticketId, data: (d, s) => ({ ticketId: ticketId(d, s), previousAssignee: d.previousAssignee, because: d.because }) },
  InfoRequested: { type: 'recovery.ticket.info-requested.v1', subject: ticketId, data: (d, s) => ({ ticketId: ticketId(d, s), ...contactOf(d) }) },
  ReplyReminderSent: { type: 'recovery.ticket.reminded.v1', subject: ticketId, data: (d, s) => ({ ticketId: ticketId(d, s), replyBy: d.expiresAt, ...contactOf(d) }) },
  InfoProvided: { type: 'recovery.ticket.info-provided.v1', subject: ticketId, data: (d, s) => ({ ticketId: ticketId(d, s) }) },
  EvidenceRecorded: {
    type: 'recovery.ticket.evidence-recorded.v1',
    subject: ticketId,
    data: (d, s) => ({ ticketId: ticketId(d, s), kind: d.kind, outcome: d.outcome, via: d.via }),
  },
  TicketVerified: {
    type: 'recovery.ticket.verified.v1',
    subject: ticketId,
    data: (d, s) => ({ ticketId: ticketId(d, s), username: d.username, contactEmail: d.contactEmail, verifiedBy: d.verifiedBy.kind }),
  },
  TicketRejected: {
    type: 'recovery.ticket.rejected.v1',
    subject: ticketId,
    data: (d, s) => ({ ticketId: ticketId(d, s), reason: d.reason, rejectedBy: d.rejectedBy.kind, ...contactOf(d) }),
  },
  RecoveryCodeUsed: {
    type: 'recovery.account.recovery-code-used.v1',
    subject: (d) => d.ticketId,
    data: (d, stream) => ({ username: stream.slice(ACCOUNT_STREAM_PREFIX.length), ticketId: d.ticketId }),
  },
};

/** The internal event types behind some public types (all of them when none are given). */
export function internalTypesFor(publicTypes?: readonly string[]): string[] {
  return Object.entries(MAPPINGS)
    .filter(([, mapping]) => !publicTypes?.length || publicTypes.includes(mapping!.type))
    .map(([internal]) => internal);
}

/** The public CloudEvent for a stored event, or undefined when it is not published. */
export function toCloudEvent(event: RecordedEvent): CloudEvent | undefined {
  const mapping = MAPPINGS[event.type as keyof typeof MAPPINGS];
  const onItsStream = event.streamName.startsWith(event.type === 'RecoveryCodeUsed' ? ACCOUNT_STREAM_PREFIX : TICKET_STREAM_PREFIX);
  if (!mapping || !onItsStream) return undefined;
  return {
    specversion: '1.0',
    id: event.id,
    source: CLOUD_EVENT_SOURCE,
    type: mapping.type,
    subject: mapping.subject(event.data, event.streamName),
    time: event.metadata.occurredAt,
    datacontenttype: 'application/json',
    data: mapping.data(event.data, event.streamName),
  };
}
