import fc from 'fast-check';
import { decideOrRefuse, playTicketHistory, ticketHistory } from '../testing/random-ticket-histories';
import { evolveTicket, initialTicketState, lifecycleState, restoreTicketState, serialiseTicketState, ticketTimerAnchors } from './ticket.decider';

const FINAL = ['verified', 'rejected'];

/**
 * On random histories, the decider keeps the lifecycle's promises, and what read models keep of a
 * state (its serialised form, its timer anchors) decides as the state itself.
 */
describe('ticket decider on random histories', () => {
  it('keeps the lifecycle promises, and a serialised state decides as the state', () => {
    fc.assert(
      fc.property(ticketHistory, (history) => {
        const { played, stored } = playTicketHistory(history);
        const { reason } = history;
        for (const { command, now, before, decided, after } of played) {
          // What a read model keeps of the state decides the same.
          expect(decideOrRefuse(restoreTicketState(serialiseTicketState(before)), command, now)).toEqual(decided);
          if (typeof decided === 'string') continue;

          const from = lifecycleState(before)!;
          const to = lifecycleState(after)!;
          expect(after.revision).toBe(before.revision + BigInt(decided.length));
          // A final ticket only takes a new requester token and notes, and stays as it is.
          if (FINAL.includes(from)) {
            expect(decided.every((event) => event.type === 'RequesterTokenReplaced' || event.type === 'NoteAdded')).toBe(true);
            expect(to).toBe(from);
          }
          // A claim takes only a free ticket: two who claim at once cannot both hold it. A release
          // gives back only the ticket of the one deactivated.
          if (command.type === 'AssignTicket' && command.claim && decided.length) expect(before.assignee).toBeUndefined();
          if (command.type === 'ReleaseTicket') expect([decided.length > 0, after.assignee]).toEqual(before.assignee === command.from ? [true, undefined] : [false, before.assignee]);
          // Verified by a code alone only where the machine allows it; a critical account by a
          // second approver, a supervisor, after a first who is someone else (one whose approval
          // was withdrawn does not count). Both by the account's status in force: as filed, or as
          // the platform changed it since.
          const verified = decided.find((event) => event.type === 'TicketVerified');
          const { critical, frozen } = after.snapshot!.context;
          if (verified?.type === 'TicketVerified' && verified.data.verifiedBy.kind === 'system') {
            expect(critical || frozen || reason === 'account-compromise').toBe(false);
          }
          if (verified?.type === 'TicketVerified' && critical && verified.data.verifiedBy.kind === 'staff') {
            const approvals = stored.reduce<string[]>((counting, event) => {
              const { approver } = event.data as { approver: string };
              if (event.type === 'ApprovalRecorded') return [...counting, approver];
              return event.type === 'ApprovalWithdrawn' ? counting.filter((id) => id !== approver) : counting;
            }, []);
            expect(approvals).toHaveLength(1);
            expect(approvals[0]).not.toBe(verified.data.verifiedBy.id);
            expect(verified.data.verifiedBy.role).not.toBe('agent');
          }

          // The SLA clock only moves forward, and runs exactly while the ticket waits for staff.
          expect(after.sla.usedMs).toBeGreaterThanOrEqual(before.sla.usedMs);
          expect(after.sla.runningSince !== undefined).toBe(to === 'submitted');
          const anchors = ticketTimerAnchors(after);
          if (FINAL.includes(to)) expect(anchors).toEqual({});
          if (to === 'awaiting-info') expect(anchors.expire).toBe(Date.parse(after.questionAskedAt!));
          if (to === 'submitted') {
            // One SLA timer while not yet overdue: the one of the ticket's priority.
            const sla = after.priority === 'high' ? anchors['overdue-high'] : anchors.overdue;
            expect([sla !== undefined, anchors.overdue !== undefined && anchors['overdue-high'] !== undefined]).toEqual([!after.snapshot!.context.overdue, false]);
          }
        }

        // Replayed from the log, the history gives the state it was decided on.
        const replayed = stored.reduce((state, event) => evolveTicket(state, event), initialTicketState());
        const last = played.at(-1)?.after;
        if (last) expect(serialiseTicketState(replayed)).toEqual(serialiseTicketState(last));
        // Overdue and each question's reminder happen once at most.
        const count = (type: string) => stored.filter((event) => event.type === type).length;
        expect(count('TicketMarkedOverdue')).toBeLessThanOrEqual(1);
        expect(count('ReplyReminderSent')).toBeLessThanOrEqual(count('InfoRequested'));
      }),
      { numRuns: 2000 },
    );
  });
});
