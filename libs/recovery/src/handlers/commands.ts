import { Command } from '@nestjs/cqrs';
import type { AccountProfile } from '../account/account.events';
import type { CommandMeta } from '../shared/decided-event';
import type { StaffRole } from '../staff/staff.events';
import type { TicketCommand } from '../ticket/ticket.commands';
import type { RecoveryRequest, StaffRef } from '../ticket/ticket.events';
import type { PresentedEvidence } from './evidence-checker';

/** What every successful ticket command answers (the contract's command result). */
export interface TicketCommandResult {
  ticketId: string;
  state: string;
  revision: string;
  position: string;
}

export class SubmitTicketCommand extends Command<TicketCommandResult & { ticketNumber: number; accessToken: string }> {
  constructor(readonly request: RecoveryRequest & PresentedEvidence, readonly meta: CommandMeta) {
    super();
  }
}

export class ReplyToTicketCommand extends Command<TicketCommandResult> {
  constructor(readonly ticketId: string, readonly reply: { message: string } & PresentedEvidence, readonly meta: CommandMeta, readonly ifMatch?: bigint) {
    super();
  }
}

/** The requester withdraws their ticket; `ifMatch` is of the revision they see. */
export class WithdrawTicketCommand extends Command<TicketCommandResult> {
  constructor(readonly ticketId: string, readonly message: string | undefined, readonly meta: CommandMeta, readonly ifMatch?: bigint) {
    super();
  }
}

/** A new requester token for a ticket whose requester lost theirs, for the platform to send them. */
export class ReplaceRequesterTokenCommand extends Command<{ ticketId: string; accessToken: string; position: string }> {
  constructor(readonly ticketId: string, readonly meta: CommandMeta, readonly ifMatch?: bigint) {
    super();
  }
}

/** What staff and timers do to an existing ticket: assign, request-info, verify, reject, note, and the timers. */
export type TicketChange = Exclude<TicketCommand, { type: 'SubmitTicket' | 'ReplyToTicket' | 'WithdrawTicket' | 'ReplaceRequesterToken' }>;

/** Staff commands and timers on an existing ticket. */
export class ChangeTicketCommand extends Command<TicketCommandResult> {
  constructor(
    readonly ticketId: string,
    readonly change: TicketChange,
    readonly meta: CommandMeta,
    readonly ifMatch?: bigint,
  ) {
    super();
  }
}

/**
 * Claims for `by` the first of these tickets still free to claim; none when each was taken or
 * decided meanwhile. `held`: the open tickets `by` holds, among which a retry finds the one its
 * first try claimed (none for a command that cannot be a retry).
 */
export class ClaimNextTicketCommand extends Command<TicketCommandResult | undefined> {
  constructor(readonly candidates: readonly string[], readonly by: StaffRef, readonly meta: CommandMeta, readonly held: readonly string[] = []) {
    super();
  }
}

/** `changed`: whether it recorded anything (the same profile again records nothing). */
export class UpsertAccountCommand extends Command<{ created: boolean; changed: boolean; position: string }> {
  constructor(readonly username: string, readonly profile: AccountProfile, readonly meta: CommandMeta) {
    super();
  }
}

/** How one account of a batch fared. */
export type AccountWritten = { username: string; status: 'created' | 'updated' | 'unchanged'; position: string };

/**
 * Registers or updates many accounts at once (a platform's first feed, or a nightly sync), each
 * as `UpsertAccountCommand` would, each once however often this is sent. Answers each account's
 * outcome in the order given, and the last position recorded.
 */
export class UpsertAccountsCommand extends Command<{ accounts: AccountWritten[]; position: string }> {
  constructor(readonly accounts: ReadonlyArray<{ username: string; profile: AccountProfile }>, readonly meta: CommandMeta) {
    super();
  }
}

/** `openTickets`: the tickets filed under the username still open, as the read models hold them; they are rejected, and counted (one closed meanwhile is passed over). */
export class RemoveAccountCommand extends Command<{ position: string; rejected: number }> {
  constructor(readonly username: string, readonly openTickets: readonly string[], readonly meta: CommandMeta) {
    super();
  }
}

/**
 * Rejects every open ticket filed under a username (`openTickets`, as the read models hold them),
 * each as one staff rejection with the same reason and note: a flood of requests for one account
 * that no one should recover (a verification closes the others already). Answers how many it
 * rejected (one closed meanwhile is passed over), and the last position recorded (`after` when none).
 */
export class RejectOpenTicketsCommand extends Command<{ position: string; rejected: number }> {
  constructor(
    readonly openTickets: readonly string[],
    readonly rejection: { reason: string; note: string; by: StaffRef },
    readonly after: bigint,
    readonly meta: CommandMeta,
  ) {
    super();
  }
}

/** `hashes` given: import them; otherwise generate a new set and answer the codes once. */
export class IssueRecoveryCodesCommand extends Command<{ codes?: string[]; position: string }> {
  constructor(readonly username: string, readonly meta: CommandMeta, readonly hashes?: string[]) {
    super();
  }
}

export class EnrolTotpCommand extends Command<{ secret: string; otpauthUri: string; position: string }> {
  constructor(readonly username: string, readonly meta: CommandMeta) {
    super();
  }
}

/** `secret`: base32, as the platform enrolled its user with it (checked by `isTotpSecret`). */
export class ImportTotpSecretCommand extends Command<{ position: string }> {
  constructor(readonly username: string, readonly secret: string, readonly meta: CommandMeta) {
    super();
  }
}

export class CreateStaffCommand extends Command<StaffResult & { token: string }> {
  constructor(readonly name: string, readonly role: StaffRole, readonly meta: CommandMeta) {
    super();
  }
}

/** A staff member as a staff command leaves them. */
export interface StaffResult {
  id: string;
  name: string;
  role: StaffRole;
  active: boolean;
  /** Their stream's revision after the command: `If-Match` of the next change to them. */
  revision: string;
  position: string;
}

/**
 * Commands on an existing staff member take `ifMatch`, the revision the admin last saw: refused
 * (412) once the member changed since, rather than undoing another admin's change unseen.
 */
export class ReplaceStaffTokenCommand extends Command<StaffResult & { token: string }> {
  constructor(readonly staffId: string, readonly meta: CommandMeta, readonly ifMatch?: bigint) {
    super();
  }
}

/** What a staff command that may take an admin away or tickets from their holder needs from the read models. */
export interface KnownStaff {
  /** The active admins, once the read models caught up with the log (see `decideAdminRemoval`). */
  activeAdmins: readonly string[];
  /** The open tickets this staff member holds, which go back to the queue when they no longer may hold them. */
  heldTickets: readonly string[];
  /** The open tickets whose first approval is theirs, which no longer counts once they are deactivated. */
  approvedFirst: readonly string[];
}

export class ChangeStaffRoleCommand extends Command<StaffResult> {
  constructor(
    readonly staffId: string,
    readonly role: StaffRole,
    readonly known: KnownStaff,
    readonly meta: CommandMeta,
    readonly ifMatch?: bigint,
  ) {
    super();
  }
}

export class RenameStaffCommand extends Command<StaffResult> {
  constructor(readonly staffId: string, readonly name: string, readonly meta: CommandMeta, readonly ifMatch?: bigint) {
    super();
  }
}

export class DeactivateStaffCommand extends Command<StaffResult> {
  constructor(
    readonly staffId: string,
    readonly known: KnownStaff,
    readonly meta: CommandMeta,
    readonly ifMatch?: bigint,
  ) {
    super();
  }
}
