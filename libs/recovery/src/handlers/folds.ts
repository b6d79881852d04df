import { evolveAccount, initialAccountState } from '../account/account.decider';
import { evolveRequester, initialRequesterState } from '../requester/requester.events';
import type { Fold } from '../shared/stream-runner';
import { evolveAdminRoster, initialAdminRosterState } from '../staff/admin-roster.events';
import { evolveStaff, initialStaffState } from '../staff/staff.events';
import { evolveTicket, initialTicketState } from '../ticket/ticket.decider';

export const ticketFold = { initialState: initialTicketState, evolve: evolveTicket } satisfies Fold<ReturnType<typeof initialTicketState>>;
export const accountFold = { initialState: initialAccountState, evolve: evolveAccount } satisfies Fold<ReturnType<typeof initialAccountState>>;
export const requesterFold = { initialState: initialRequesterState, evolve: evolveRequester } satisfies Fold<ReturnType<typeof initialRequesterState>>;
export const staffFold = { initialState: initialStaffState, evolve: evolveStaff } satisfies Fold<ReturnType<typeof initialStaffState>>;
export const adminRosterFold = { initialState: initialAdminRosterState, evolve: evolveAdminRoster } satisfies Fold<ReturnType<typeof initialAdminRosterState>>;
