import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { CLOCK, type Clock } from '../shared/clock';
import { subCommand } from '../shared/decided-event';
import { NotFound, StaleRevision, TooManyAttempts } from '../shared/errors';
import { StreamRunner } from '../shared/stream-runner';
import { streams } from '../shared/streams';
import { assertMayReply, decideTicket } from '../ticket/ticket.decider';
import { currentAccountStatus } from './account-status';
import { decideClaimingRecovery } from './claiming-recovery';
import { ReplyToTicketCommand } from './commands';
import { EvidenceChecker } from './evidence-checker';
import { ticketFold } from './folds';
import { RECOVERY_CONFIG, type RecoveryConfig } from './recovery-config';
import { requesterTicketResult } from './ticket-results';

@CommandHandler(ReplyToTicketCommand)
export class ReplyToTicketHandler implements ICommandHandler<ReplyToTicketCommand> {
  constructor(
    private readonly runner: StreamRunner,
    private readonly evidence: EvidenceChecker,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RECOVERY_CONFIG) private readonly config: RecoveryConfig,
  ) {}

  async execute({ ticketId, reply, meta, ifMatch }: ReplyToTicketCommand) {
    const stream = streams.ticket(ticketId);
    const { state: before } = await this.runner.load(stream, ticketFold);
    if (!before.snapshot) throw new NotFound('ticket');
    const recorded = subCommand(meta, 'ticket');
    // A reply the ticket will not take is refused before any code is checked, so that it burns
    // nothing: a stale If-Match (the requester's names the revision they know, which counts only
    // what they see), a closed ticket, a follow-up past those that may wait. A retry of a reply
    // already recorded goes on, and is answered as the repeat it is.
    if (!before.commandIds.has(recorded.commandId)) {
      if (ifMatch !== undefined && ifMatch !== before.requesterRevision) throw new StaleRevision(ifMatch, before.requesterRevision);
      assertMayReply(before);
    }
    const { message, ...presented } = reply;
    const context = () => ({ now: this.clock.now(), policy: this.config });

    let checks;
    try {
      checks = await this.evidence.checkWithinLimits(before.username!, ticketId, presented, meta);
    } catch (error) {
      if (!(error instanceof TooManyAttempts)) throw error;
      // Over the limit: nothing is checked, and the attempt is recorded on the ticket.
      const kinds = (['recoveryCode', 'totpCode'] as const).filter((key) => presented[key]).map((key) => (key === 'recoveryCode' ? 'recovery-code' : 'totp'));
      await this.runner.run(stream, ticketFold, subCommand(meta, 'rate-limited'), (ticket) => decideTicket({ type: 'RecordReplyOverLimit', kinds }, ticket, context()));
      throw error;
    }
    const account = await currentAccountStatus(this.runner, before.username!);
    const { state, position } = await this.runner.run(
      stream,
      ticketFold,
      recorded,
      (ticket) => {
        const decideContext = context();
        return decideClaimingRecovery(this.runner, decideContext.now, { ticketId, username: before.username! }, recorded, (recoveredThrough) =>
          decideTicket({ type: 'ReplyToTicket', message, evidence: checks, account, recoveredThrough }, ticket, decideContext),
        );
      },
      { ifMatch, revisionOf: (ticket) => ticket.requesterRevision },
    );
    return requesterTicketResult(ticketId, state, position);
  }
}
