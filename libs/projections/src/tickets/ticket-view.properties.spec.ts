import fc from 'fast-check';
import { initialTicketState, evolveTicket, lifecycleState, seenByRequester, serialiseTicketState } from '@reclaim/recovery';
import { playTicketHistory, ticketHistory } from '@reclaim/recovery/testing';
import { evolveTicketView, foldTicketView, requesterView, type FoldedTicketView, type TicketView } from './ticket-view';

/**
 * On random histories, the staff view says what the decider's state says, and the two ways of
 * folding it agree: the projector's (keeping the decider state between events) and the one that
 * `?at=` and history reads take (restoring it from the stored view at every event).
 */
describe('ticket view on random histories', () => {
  it('agrees with the decider, and the projector and ?at= fold it alike', () => {
    fc.assert(
      fc.property(ticketHistory, (history) => {
        const { stored } = playTicketHistory(history);
        let folded: FoldedTicketView | undefined;
        let restored: TicketView | undefined;
        let decider = initialTicketState();
        const seen: Record<string, number> = {};
        for (const event of stored) {
          folded = foldTicketView(folded, event);
          restored = evolveTicketView(restored, event);
          decider = evolveTicket(decider, event);
          // A staff member's verification is an approval too; the engine's is not.
          const kind = event.type === 'TicketVerified' ? `:${(event.data as { verifiedBy: { kind: string } }).verifiedBy.kind}` : '';
          seen[event.type + kind] = (seen[event.type + kind] ?? 0) + 1;
          const { view, state } = folded!;

          expect(restored).toEqual({ ...view, lifecycle: serialiseTicketState(state) });
          expect(serialiseTicketState(state)).toEqual(serialiseTicketState(decider));
          const lifecycle = lifecycleState(decider)!;
          expect(view.state).toBe(lifecycle);
          expect(view.assignee).toBe(decider.assignee);
          expect(view.priority).toBe(decider.priority);
          expect(view.overdue).toBe(decider.snapshot!.context.overdue);
          expect(view.openQuestion !== undefined).toBe(lifecycle === 'awaiting-info');
          expect(view.decision?.state).toBe(lifecycle === 'verified' || lifecycle === 'rejected' ? lifecycle : undefined);
          expect([view.revision, view.position]).toEqual([String(event.revision), String(event.position)]);
          const count = (...types: string[]) => types.reduce((sum, type) => sum + (seen[type] ?? 0), 0);
          expect(view.messages).toHaveLength(count('InfoRequested', 'InfoProvided', 'FollowUpReceived', 'ReplyReminderSent'));
          expect(view.notes).toHaveLength(count('NoteAdded'));
          expect(view.approvals).toHaveLength(count('ApprovalRecorded', 'TicketVerified:staff') - count('ApprovalWithdrawn'));
          // The engine's checks, and what each staff approval rests on.
          expect(view.evidence).toHaveLength(count('EvidenceRecorded', 'ApprovalRecorded', 'TicketVerified:staff'));
        }
      }),
      { numRuns: 1000 },
    );
  });
});

/**
 * The requester's revision and time of change move exactly when their view does, so that they
 * tell a requester nothing of the staff's work on the ticket: notes, claims, checks, approvals.
 */
describe("the requester's view on random histories", () => {
  it('moves its revision and updatedAt with what it shows, and only then', () => {
    fc.assert(
      fc.property(ticketHistory, (history) => {
        const { stored } = playTicketHistory(history);
        let folded: FoldedTicketView | undefined;
        let before: { shown: object; revision: string; updatedAt: string } | undefined;
        let seen = 0;
        for (const event of stored) {
          folded = foldTicketView(folded, event);
          const { revision, updatedAt, ...shown } = requesterView(folded!.view, { slaResponseMs: 3_600_000, replyTimeoutMs: 7_200_000 });
          if (seenByRequester(event.type)) {
            seen++;
            expect(shown).not.toEqual(before?.shown);
            expect(updatedAt).toBe(event.metadata.occurredAt);
          } else {
            expect(shown).toEqual(before!.shown);
            expect(updatedAt).toBe(before!.updatedAt);
          }
          expect([revision, folded!.state.requesterRevision]).toEqual([String(seen - 1), BigInt(seen - 1)]);
          before = { shown, revision, updatedAt };
        }
      }),
      { numRuns: 1000 },
    );
  });
});
