import { CommandIds } from '../shared/command-ids';
import type { Every } from '../shared/every';
import { foldBookkeeping } from '../shared/stream-runner';
import type { DecidedEvent, FoldableEvent } from '../shared/decided-event';

export const STAFF_ROLES = ['admin', 'supervisor', 'agent', 'auditor', 'integrator'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];
/** The roles that work tickets: only they may hold one. */
export const TICKET_ROLES: readonly StaffRole[] = ['agent', 'supervisor', 'admin'];
/**
 * Why a staff member no longer works tickets, if they do not: deactivated, or in another role.
 * Such a member holds no ticket, and their first approvals of critical accounts stop counting.
 */
export function whyNotWorkingTickets(staff: { active: boolean; role: StaffRole }): 'deactivated' | 'role-changed' | undefined {
  if (!staff.active) return 'deactivated';
  return TICKET_ROLES.includes(staff.role) ? undefined : 'role-changed';
}
/** The roles that integrate (the event feed, webhooks): only they may own a webhook. */
export const INTEGRATING_ROLES: readonly StaffRole[] = ['integrator', 'admin'];

/** Stream `staff-<id>`. A token is never stored: only its SHA-256. */
export type StaffEvent =
  | DecidedEvent<'StaffCreated', { staffId: string; name: string; role: StaffRole; tokenHash: string }>
  /** A new token replaces the old one, which stops working (a token lost or leaked). */
  | DecidedEvent<'StaffTokenReplaced', { staffId: string; tokenHash: string }>
  /** The staff member's name as lists and answers show it (a typo, a name changed); their id stays. */
  | DecidedEvent<'StaffRenamed', { staffId: string; name: string; previousName: string }>
  /** The staff member does other work now: their token opens what the new role may do, and no more. */
  | DecidedEvent<'StaffRoleChanged', { staffId: string; role: StaffRole; previousRole: StaffRole }>
  /** The staff member no longer works here: their token stops working, no ticket is assigned to them. */
  | DecidedEvent<'StaffDeactivated', { staffId: string }>;

export interface StaffState {
  revision: bigint;
  staff?: {
    staffId: string;
    name: string;
    role: StaffRole;
    tokenHash: string;
    /** The command that issued the token in force (see `lost-answer.ts`). */
    tokenIssuedBy?: string;
    active: boolean;
  };
  commandIds: CommandIds;
}

export const initialStaffState = (): StaffState => ({ revision: -1n, staff: undefined, commandIds: CommandIds.empty() }) satisfies Every<StaffState>;

export function evolveStaff(state: StaffState, stored: FoldableEvent): StaffState {
  const event = stored as StaffEvent;
  const next = { ...state, ...foldBookkeeping(state, stored) };
  switch (event.type) {
    case 'StaffCreated':
      return { ...next, staff: { ...event.data, tokenIssuedBy: stored.metadata?.causationId, active: true } };
    case 'StaffTokenReplaced':
      return { ...next, staff: state.staff && { ...state.staff, tokenHash: event.data.tokenHash, tokenIssuedBy: stored.metadata?.causationId } };
    case 'StaffRenamed':
      return { ...next, staff: state.staff && { ...state.staff, name: event.data.name } };
    case 'StaffRoleChanged':
      return { ...next, staff: state.staff && { ...state.staff, role: event.data.role } };
    case 'StaffDeactivated':
      return { ...next, staff: state.staff && { ...state.staff, active: false } };
  }
}
