import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import type { SecretBox } from '@reclaim/credentials';
import { EVENT_STORE, type EventStore } from '@reclaim/event-store';
import { ChangeStaffRoleHandler, CreateStaffHandler, DeactivateStaffHandler, RenameStaffHandler, ReplaceStaffTokenHandler } from './handlers/staff.handlers';
import { RejectOpenTicketsHandler } from './handlers/reject-open-tickets.handler';
import { EnrolTotpHandler, ImportTotpSecretHandler, IssueRecoveryCodesHandler, RemoveAccountHandler, UpsertAccountHandler, UpsertAccountsHandler } from './handlers/account.handlers';
import { ChangeTicketHandler } from './handlers/change-ticket.handler';
import { ClaimNextTicketHandler } from './handlers/claim-next-ticket.handler';
import { EvidenceChecker } from './handlers/evidence-checker';
import { SECRET_BOX } from './handlers/recovery-config';
import { ReplyToTicketHandler } from './handlers/reply-to-ticket.handler';
import { WithdrawTicketHandler } from './handlers/withdraw-ticket.handler';
import { ReplaceRequesterTokenHandler } from './handlers/replace-requester-token.handler';
import { SubmitTicketHandler } from './handlers/submit-ticket.handler';
import { CLOCK, type Clock } from './shared/clock';
import { StreamRunner } from './shared/stream-runner';

/**
 * The command side. Needs EVENT_STORE, CLOCK, RECOVERY_CONFIG and SECRET_BOX from the app.
 */
@Module({
  imports: [CqrsModule],
  providers: [
    { provide: StreamRunner, inject: [EVENT_STORE, CLOCK], useFactory: (store: EventStore, clock: Clock) => new StreamRunner(store, clock) },
    {
      provide: EvidenceChecker,
      inject: [StreamRunner, SECRET_BOX, CLOCK],
      useFactory: (runner: StreamRunner, secrets: SecretBox, clock: Clock) => new EvidenceChecker(runner, secrets, clock),
    },
    SubmitTicketHandler,
    ReplyToTicketHandler,
    WithdrawTicketHandler,
    ReplaceRequesterTokenHandler,
    ChangeTicketHandler,
    ClaimNextTicketHandler,
    UpsertAccountHandler,
    UpsertAccountsHandler,
    RemoveAccountHandler,
    RejectOpenTicketsHandler,
    IssueRecoveryCodesHandler,
    EnrolTotpHandler,
    ImportTotpSecretHandler,
    CreateStaffHandler,
    ReplaceStaffTokenHandler,
    ChangeStaffRoleHandler,
    RenameStaffHandler,
    DeactivateStaffHandler,
  ],
  exports: [StreamRunner],
})
export class RecoveryModule {}
