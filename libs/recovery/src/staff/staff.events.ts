import { CommandIds } from '../shared/command-ids';
import { foldBookkeeping } from '../shared/stream-runner';
import type { DecidedEvent, FoldableEvent } from '../shared/decided-event';

export const STAFF_ROLES = ['admin', 'supervisor', 'agent', 'auditor', 'integrator'] as const;
export type StaffRole = (typeof STAFF_ROLES)[number];

/** Stream `staff-<id>`. The token is never stored: only its SHA-256. */
export type StaffEvent = DecidedEvent<'StaffCreated', { staffId: string; name: string; role: StaffRole; tokenHash: string }>;

export interface StaffState {
  revision: bigint;
  staff?: StaffEvent['data'];
  commandIds: CommandIds;
}

export const initialStaffState = (): StaffState => ({ revision: -1n, commandIds: CommandIds.empty() });

export function evolveStaff(state: StaffState, stored: FoldableEvent): StaffState {
  const event = stored as StaffEvent;
  return { ...foldBookkeeping(state, stored), staff: event.data };
}
