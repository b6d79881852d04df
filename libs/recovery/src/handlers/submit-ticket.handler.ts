import { Inject } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { newToken, tokenHash } from '@reclaim/credentials';
import { EVENT_STORE, type EventStore } from '@reclaim/event-store';
import { CLOCK, type Clock } from '../shared/clock';
import { eventIdFor, subCommand, toNewEvents } from '../shared/decided-event';
import { StreamRunner } from '../shared/stream-runner';
import { streams } from '../shared/streams';
import type { TicketCommand } from '../ticket/ticket.commands';
import { decideTicket, lifecycleState } from '../ticket/ticket.decider';
import { onFile } from '../ticket/on-file';
import { accountStatusOf } from './account-status';
import { decideClaimingRecovery } from './claiming-recovery';
import { SubmitTicketCommand } from './commands';
import { EvidenceChecker } from './evidence-checker';
import { accountFold, requesterFold, ticketFold } from './folds';
import { RECOVERY_CONFIG, type RecoveryConfig } from './recovery-config';
import { replaceRequesterToken } from './requester-token';
import { requesterTicketResult } from './ticket-results';

/** Closed tickets of a username from which their number is remembered (see `knownClosed`). */
const REMEMBERED_FROM = 32;

/**
 * Files a recovery request. The answer has the same shape whether or not the username exists and
 * whatever the evidence: what the engine learnt is recorded for staff only.
 */
@CommandHandler(SubmitTicketCommand)
export class SubmitTicketHandler implements ICommandHandler<SubmitTicketCommand> {
  /**
   * Per username, how many of its first tickets are known to be closed, where that is many (a
   * flood of requests for one account). Verified and rejected are final, so a ticket once found
   * closed stays so: the next submission looks for an open one from there, where it read every
   * ticket of the username before it (4,000 closed ones made each submission take 45 ms).
   */
  private readonly knownClosed = new Map<string, number>();

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly runner: StreamRunner,
    private readonly evidence: EvidenceChecker,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(RECOVERY_CONFIG) private readonly config: RecoveryConfig,
  ) {}

  async execute({ request, meta }: SubmitTicketCommand) {
    const { username, recoveryCode, totpCode, ...fields } = request;
    // The same command id always names the same ticket, so a retry finds what it made.
    const ticketId = eventIdFor(meta.commandId, 'ticket', 0);
    // First, so that a request over the username's limit files nothing.
    const checks = await this.evidence.checkWithinLimits(username, ticketId, { recoveryCode, totpCode }, meta);

    // Filing under the username serialises submissions for it, so duplicates are linked reliably.
    // The number does not depend on the filing: both appends go to the store at once and share
    // a commit.
    const [filed, ticketNumber] = await Promise.all([
      this.runner.run(streams.requests(username), requesterFold, meta, () => [{ type: 'TicketFiled', data: { ticketId } }]),
      this.issueTicketNumber(ticketId, meta.commandId),
    ]);
    const earlier = filed.state.ticketIds.slice(0, filed.state.ticketIds.indexOf(ticketId));
    const duplicateOf = await this.firstOpenTicket(username, earlier);

    const { state: account } = await this.runner.load(streams.account(username), accountFold);
    const accessToken = newToken('rqt');
    const ticketMeta = subCommand(meta, 'ticket');
    const command: TicketCommand = {
      type: 'SubmitTicket',
      ticketId,
      ticketNumber,
      username,
      ...fields,
      requesterTokenHash: tokenHash(accessToken),
      account: { known: !!account.profile, ...accountStatusOf(account), ...(account.profile && { onFile: onFile(fields, account.profile) }) },
      evidence: checks,
      duplicateOf,
    };
    const context = { now: this.clock.now(), policy: this.config };
    const { state, position, repeat } = await this.runner.run(streams.ticket(ticketId), ticketFold, ticketMeta, (ticket) =>
      decideClaimingRecovery(this.runner, context.now, { ticketId, username }, ticketMeta, (recoveredThrough) => decideTicket({ ...command, recoveredThrough }, ticket, context)),
    );
    if (!repeat) return { ...requesterTicketResult(ticketId, state, position), ticketNumber, accessToken };
    // A repeat whose first answer was lost cannot show that answer's token again, as only its
    // hash was kept: the submission's command, sent again as a replacement, finds itself applied
    // and issues a new token in its place, unless one was issued since (see `replaceRequesterToken`).
    // Its number is the one the ticket holds: on EventStoreDB the counter finds a retry's number
    // among its latest 1,000 only, and gives one retried later another (which no ticket takes).
    const replaced = await replaceRequesterToken(this.runner, ticketId, ticketMeta, () => ({ now: this.clock.now(), policy: this.config }));
    return { ...requesterTicketResult(ticketId, replaced.state, replaced.position), ticketNumber: replaced.state.ticketNumber!, accessToken: replaced.accessToken };
  }

  /** The first of a username's earlier tickets that is still open, if any (in the order filed). */
  private async firstOpenTicket(username: string, earlier: string[]): Promise<string | undefined> {
    let first = this.knownClosed.get(username) ?? 0;
    for (; first < earlier.length; first++) {
      const { state } = await this.runner.load(streams.ticket(earlier[first]!), ticketFold);
      const current = lifecycleState(state);
      if (current === 'submitted' || current === 'awaiting-info') break;
    }
    // Every ticket before `first` is closed. Remembered only past a few, as most usernames have one or two.
    if (first >= REMEMBERED_FROM) this.knownClosed.set(username, first);
    return earlier[first];
  }

  /**
   * Ticket numbers are the revisions of one counter stream, plus one. The event id comes from the
   * command, so a retry gets its first number back instead of a new one.
   */
  private async issueTicketNumber(ticketId: string, commandId: string): Promise<number> {
    const [event] = toNewEvents(streams.ticketNumbers, [{ type: 'TicketNumberIssued', data: { ticketId } }], { commandId, actor: { kind: 'system', id: 'numbering' } }, this.clock.now());
    const { nextExpectedRevision } = await this.store.appendToStream(streams.ticketNumbers, [event!], { expectedRevision: 'any' });
    return Number(nextExpectedRevision) + 1;
  }
}
