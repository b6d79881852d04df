import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { INTEGRATING_ROLES, TICKET_ROLES, type StaffRole } from '@reclaim/recovery';
import { Refusing } from '../openapi/documented';

export const ACCESS = 'reclaim:access';

/** Who may call a route: the public, the ticket's requester, and which staff roles. */
export interface AccessRule {
  public?: boolean;
  requester?: boolean;
  roles?: StaffRole[];
}

/** The rule, for the guard, and in the OpenAPI document: a Bearer token, and who may. */
export const Access = (rule: AccessRule) =>
  rule.public
    ? SetMetadata(ACCESS, rule)
    : applyDecorators(SetMetadata(ACCESS, rule), ApiBearerAuth(), Refusing(401), Refusing(403, `Only ${callers(rule)} may do this.`));

function callers(rule: AccessRule): string {
  const who = [...(rule.roles ?? []).map((role) => `the ${role} role`), ...(rule.requester ? ["the ticket's requester"] : [])];
  return who.length > 1 ? `${who.slice(0, -1).join(', ')} and ${who.at(-1)}` : who[0]!;
}

/** The roles of the contract's table, by row. */
export const WORKS_TICKETS: StaffRole[] = [...TICKET_ROLES];
export const READS_TICKETS: StaffRole[] = ['agent', 'supervisor', 'auditor', 'admin'];
/** Those who lead the work on tickets: a change to many tickets at once is theirs. */
export const LEADS_TICKETS: StaffRole[] = ['supervisor', 'admin'];
export const AUDITS: StaffRole[] = ['supervisor', 'auditor', 'admin'];
export const FEEDS_ACCOUNTS: StaffRole[] = ['integrator', 'admin'];
export const READS_ACCOUNTS: StaffRole[] = ['agent', 'supervisor', 'auditor', 'integrator', 'admin'];
export const ADMINISTERS: StaffRole[] = ['admin'];
export const INTEGRATES: StaffRole[] = [...INTEGRATING_ROLES];
