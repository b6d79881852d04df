import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, type Clock } from '../shared/clock';
import { InvalidCommand, NotFound } from '../shared/errors';
import { StreamRunner } from '../shared/stream-runner';
import { streams } from '../shared/streams';
import { TICKET_ROLES, whyNotWorkingTickets } from '../staff/staff.events';
import type { TicketCommand } from '../ticket/ticket.commands';
import type { ApprovalLapse } from '../ticket/ticket.events';
import { decideTicket } from '../ticket/ticket.decider';
import { currentAccountStatus } from './account-status';
import { decideClaimingRecovery } from './claiming-recovery';
import { ChangeTicketCommand } from './commands';
import { staffFold, ticketFold } from './folds';
import { RECOVERY_CONFIG, type RecoveryConfig } from './recovery-config';
import { ticketResult } from './ticket-results';

/** Assign, request info, verify, reject, note, and the timers: load, decide, append. */
@CommandHandler(ChangeTicketCommand)
export class ChangeTicketHandler implements ICommandHandler<ChangeTicketCommand> {
  constructor(
    private readonly runner: StreamRunner,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RECOVERY_CONFIG) private readonly config: RecoveryConfig,
  ) {}

  async execute({ ticketId, change, meta, ifMatch }: ChangeTicketCommand) {
    if (change.type === 'AssignTicket') await this.assertAssignable(change.assignee);
    const { state, position } = await this.runner.run(
      streams.ticket(ticketId),
      ticketFold,
      meta,
      async (ticket) => {
        if (!ticket.snapshot) throw new NotFound('ticket');
        const command = await this.withUnassignableHolder(change, ticket.assignee);
        const context = { now: this.clock.now(), policy: this.config };
        if (command.type !== 'VerifyTicket') return decideTicket(command, ticket, context);
        // An approval is judged by the account as it is now (see `currentAccountStatus`), by
        // whether the first approver still works tickets, and by whether the account was
        // recovered through another ticket since this one was filed.
        const judged = {
          ...command,
          account: await currentAccountStatus(this.runner, ticket.username!),
          firstApproverLapsed: await this.lapsed(ticket.snapshot.context.firstApprover),
        };
        return decideClaimingRecovery(this.runner, context.now, { ticketId, username: ticket.username! }, meta, (recoveredThrough) =>
          decideTicket({ ...judged, recoveredThrough }, ticket, context),
        );
      },
      { ifMatch },
    );
    return ticketResult(ticketId, state, position);
  }

  /**
   * A claim on a held ticket says whether its holder may no longer hold it (deactivated, or given
   * a role that works no tickets, at the same moment as it was assigned to them), which lets it
   * take the ticket.
   */
  private async withUnassignableHolder(change: TicketCommand, holder: string | undefined): Promise<TicketCommand> {
    if (change.type !== 'AssignTicket' || !change.claim || !holder || holder === change.assignee) return change;
    const { state } = await this.runner.load(streams.staff(holder), staffFold);
    return state.staff && whyNotWorkingTickets(state.staff) ? { ...change, fromUnassignable: holder } : change;
  }

  /** Why a staff member's approval no longer counts, where it does not: deactivated, or in a role that works no tickets. */
  private async lapsed(staffId: string | undefined): Promise<ApprovalLapse | undefined> {
    if (!staffId) return undefined;
    const { state } = await this.runner.load(streams.staff(staffId), staffFold);
    const because = state.staff && whyNotWorkingTickets(state.staff);
    return because ? { approver: staffId, because } : undefined;
  }

  /** Tickets go to people who work them: active agents, supervisors and admins. */
  private async assertAssignable(staffId: string): Promise<void> {
    const { state } = await this.runner.load(streams.staff(staffId), staffFold);
    if (!state.staff || !TICKET_ROLES.includes(state.staff.role)) {
      throw new InvalidCommand('assignee', 'assignee must be the id of an agent, supervisor or admin');
    }
    if (!state.staff.active) throw new InvalidCommand('assignee', 'assignee is deactivated');
  }
}
