import type { RecordedEvent } from '@reclaim/event-store';
import { internalTypesFor, toCloudEvent } from './cloud-events';

const TICKET = 't-1';
let position = 0n;

/** A stored event as the store gives it: committed a moment after the command gave it its time. */
function stored(type: string, data: object, streamName = `ticket-${TICKET}`): RecordedEvent {
  position++;
  return {
    id: `event-${position}`,
    type,
    data,
    metadata: { occurredAt: '2026-03-01T10:00:00.000Z', schemaVersion: 1, actor: { kind: 'staff', id: 's-1' } },
    streamName,
    revision: 0n,
    position,
    recordedAt: '2026-03-01T10:00:00.250Z',
  } as RecordedEvent;
}

describe('toCloudEvent', () => {
  it('publishes each public event with exactly the fields the event catalogue lists, at the time the command gave it', () => {
    const cases: Array<[RecordedEvent, string, object]> = [
      [
        stored('TicketSubmitted', {
          ticketId: TICKET, ticketNumber: 7, username: 'zoe', contactEmail: 'z@example.org', previousEmails: ['old@example.org'], reason: 'lost-2fa',
          explanation: 'new phone', packages: ['left-pad'], accountKnown: true, critical: false, frozen: false, requesterTokenHash: 'ab'.repeat(32),
        }),
        'recovery.ticket.submitted.v1',
        { ticketId: TICKET, ticketNumber: 7, username: 'zoe', reason: 'lost-2fa', contactEmail: 'z@example.org' },
      ],
      [stored('EvidenceRecorded', { kind: 'recovery-code', outcome: 'accepted', via: 'reply' }), 'recovery.ticket.evidence-recorded.v1', { ticketId: TICKET, kind: 'recovery-code', outcome: 'accepted', via: 'reply' }],
      [stored('TicketAssigned', { assignee: 's-2', assignedBy: 's-1' }), 'recovery.ticket.assigned.v1', { ticketId: TICKET, assignee: 's-2' }],
      [stored('TicketReleased', { previousAssignee: 's-2', because: 'handed-back' }), 'recovery.ticket.released.v1', { ticketId: TICKET, previousAssignee: 's-2', because: 'handed-back' }],
      [stored('InfoRequested', { question: 'Which phone?', requestedBy: 's-1', contactEmail: 'z@example.org' }), 'recovery.ticket.info-requested.v1', { ticketId: TICKET, contactEmail: 'z@example.org' }],
      // Recorded before events carried the contact address.
      [stored('InfoRequested', { question: 'Which phone?', requestedBy: 's-1' }), 'recovery.ticket.info-requested.v1', { ticketId: TICKET }],
      [
        stored('ReplyReminderSent', { dueAt: '2026-03-08T10:00:00.000Z', expiresAt: '2026-03-15T10:00:00.000Z', contactEmail: 'z@example.org' }),
        'recovery.ticket.reminded.v1',
        { ticketId: TICKET, replyBy: '2026-03-15T10:00:00.000Z', contactEmail: 'z@example.org' },
      ],
      [stored('InfoProvided', { message: 'A Pixel.' }), 'recovery.ticket.info-provided.v1', { ticketId: TICKET }],
      [
        stored('TicketVerified', { verifiedBy: { kind: 'system', id: 'engine' }, evidence: ['recovery code'], note: 'code matched', username: 'zoe', contactEmail: 'z@example.org' }),
        'recovery.ticket.verified.v1',
        { ticketId: TICKET, username: 'zoe', contactEmail: 'z@example.org', verifiedBy: 'system' },
      ],
      [
        stored('TicketRejected', { reason: 'suspected-fraud', note: 'internal reasoning', rejectedBy: { kind: 'staff', id: 's-1' }, contactEmail: 'z@example.org' }),
        'recovery.ticket.rejected.v1',
        { ticketId: TICKET, reason: 'suspected-fraud', rejectedBy: 'staff', contactEmail: 'z@example.org' },
      ],
      [stored('TicketRejected', { reason: 'no-response', note: 'n', rejectedBy: { kind: 'system', id: 'reply-timeout' } }), 'recovery.ticket.rejected.v1', { ticketId: TICKET, reason: 'no-response', rejectedBy: 'system' }],
      // Withdrawn: the platform tells the requester that, not that the request was turned down.
      [
        stored('TicketRejected', { reason: 'other', note: 'I got back in', rejectedBy: { kind: 'requester', id: TICKET }, contactEmail: 'z@example.org' }),
        'recovery.ticket.rejected.v1',
        { ticketId: TICKET, reason: 'other', rejectedBy: 'requester', contactEmail: 'z@example.org' },
      ],
      [stored('RecoveryCodeUsed', { codeId: 'c-3', ticketId: TICKET }, 'account-zoe'), 'recovery.account.recovery-code-used.v1', { username: 'zoe', ticketId: TICKET }],
    ];
    for (const [event, type, data] of cases) {
      expect(toCloudEvent(event)).toEqual({
        specversion: '1.0',
        id: event.id,
        source: '/reclaim',
        type,
        subject: TICKET,
        time: '2026-03-01T10:00:00.000Z',
        datacontenttype: 'application/json',
        data,
      });
    }
  });

  it('publishes nothing else: internal events, and a public type on a stream it does not belong to', () => {
    const internal = [
      stored('NoteAdded', { body: 'internal', author: 's-1' }),
      stored('ApprovalRecorded', { approver: 's-1', role: 'agent', evidence: [], note: 'n' }),
      stored('TicketPrioritised', { priority: 'high', because: 'x' }),
      stored('AccountStatusNoted', { critical: true, frozen: false }),
      stored('FollowUpReceived', { message: 'm' }),
      stored('TicketMarkedOverdue', { dueAt: 'd' }),
      stored('RequesterTokenReplaced', { requesterTokenHash: 'ab' }),
      stored('RecoveryCodesIssued', { source: 'generated', codes: [] }, 'account-zoe'),
      stored('TotpEnrolled', { sealedSecret: 's' }, 'account-zoe'),
      stored('TotpStepAccepted', { step: 1, ticketId: TICKET }, 'account-zoe'),
      stored('AccountRemoved', { username: 'zoe' }, 'account-zoe'),
    ];
    for (const event of internal) expect([event.type, toCloudEvent(event)]).toEqual([event.type, undefined]);
    // Types are names anyone may give an event of another stream: only their own stream's are published.
    expect(toCloudEvent(stored('TicketVerified', { username: 'zoe', contactEmail: 'z@example.org', verifiedBy: { kind: 'staff' } }, 'staff-s-1'))).toBeUndefined();
    expect(toCloudEvent(stored('RecoveryCodeUsed', { codeId: 'c', ticketId: TICKET }))).toBeUndefined();
  });
});

describe('internalTypesFor', () => {
  it('names the internal types behind the public types asked for, and every published one when none are', () => {
    expect(internalTypesFor(['recovery.ticket.verified.v1', 'recovery.account.recovery-code-used.v1']).sort()).toEqual(['RecoveryCodeUsed', 'TicketVerified']);
    expect(internalTypesFor([]).sort()).toEqual(internalTypesFor().sort());
    expect(internalTypesFor().sort()).toEqual(
      ['EvidenceRecorded', 'InfoProvided', 'InfoRequested', 'RecoveryCodeUsed', 'ReplyReminderSent', 'TicketAssigned', 'TicketRejected', 'TicketReleased', 'TicketSubmitted', 'TicketVerified'],
    );
  });
});
