import { SetMetadata } from '@nestjs/common';
import type { StaffRole } from '@reclaim/recovery';

export const ACCESS = 'reclaim:access';

/** Who may call a route: the public, the ticket's requester, and which staff roles. */
export interface AccessRule {
  public?: boolean;
  requester?: boolean;
  roles?: StaffRole[];
}

export const Access = (rule: AccessRule) => SetMetadata(ACCESS, rule);

/** The roles of the contract's table, by row. */
export const WORKS_TICKETS: StaffRole[] = ['agent', 'supervisor', 'admin'];
export const READS_TICKETS: StaffRole[] = ['agent', 'supervisor', 'auditor', 'admin'];
export const AUDITS: StaffRole[] = ['supervisor', 'auditor', 'admin'];
export const FEEDS_ACCOUNTS: StaffRole[] = ['integrator', 'admin'];
export const READS_ACCOUNTS: StaffRole[] = ['agent', 'supervisor', 'auditor', 'integrator', 'admin'];
export const ADMINISTERS: StaffRole[] = ['admin'];
export const INTEGRATES: StaffRole[] = ['integrator', 'admin'];
