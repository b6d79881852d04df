import type { Actor } from '@reclaim/event-store';
import { TICKET_ROLES, type StaffRef, type StaffRole } from '@reclaim/recovery';
import type { FastifyRequest } from 'fastify';
import { problem, ProblemError } from '../http/problem';

/** Who is calling. A requester holds a token for exactly one ticket. */
export type Principal =
  | { kind: 'staff'; id: string; role: StaffRole; name: string }
  | { kind: 'requester'; ticketId: string }
  | { kind: 'public' };

/** The caller holding RECLAIM_ADMIN_TOKEN: an admin for setting up, not a staff member with a stream. */
export const BOOTSTRAP_ADMIN_ID = 'bootstrap-admin';

export function actorOf(principal: Principal): Actor {
  switch (principal.kind) {
    case 'staff':
      return { kind: principal.role === 'integrator' ? 'integrator' : 'staff', id: principal.id };
    case 'requester':
      return { kind: 'requester', id: principal.ticketId };
    case 'public':
      return { kind: 'public', id: 'anonymous' };
  }
}

/** The staff member who works tickets making the request, as ticket commands name them. */
export function staffRef(request: FastifyRequest): StaffRef {
  const principal = request.principal;
  if (principal?.kind !== 'staff' || !TICKET_ROLES.includes(principal.role)) throw new ProblemError(problem(403, 'Only staff who work tickets may do this.'));
  return { id: principal.id, role: principal.role as StaffRef['role'] };
}

declare module 'fastify' {
  interface FastifyRequest {
    principal?: Principal;
    /** Set from Idempotency-Key: the command id that makes a retry apply once. */
    commandId?: string;
  }
}
