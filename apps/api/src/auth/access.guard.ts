import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { problem, ProblemError } from '../http/problem';
import { ACCESS, type AccessRule } from './access.decorator';
import { CredentialsService } from './credentials.service';

/** RFC 9110: the scheme's name in any case, then one or more spaces, then the token. */
const BEARER = /^Bearer +([A-Za-z0-9_\-.~+/]{16,256}=*)$/i;
/** Routes on one ticket, named by their `id`: the only ones a requester token may open. */
const TICKET_ROUTE = /^\/v1\/tickets\/:id(\/|$)/;

/**
 * Checks every route against its Access rule. No or unknown token: 401. A staff token of the
 * wrong role: 403. A requester token on another ticket: 404, so that a requester cannot learn
 * which tickets exist; on their own ticket's staff routes, or on a route of no ticket: 403.
 */
@Injectable()
export class AccessGuard implements CanActivate {
  constructor(private readonly reflector: Reflector, private readonly credentials: CredentialsService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS, [context.getHandler(), context.getClass()]);
    const request = context.switchToHttp().getRequest<FastifyRequest & { params: Record<string, string> }>();
    if (!rule) return true; // routes without a rule (health, docs) are open
    if (rule.public) {
      request.principal = { kind: 'public' };
      return true;
    }
    const header = request.headers.authorization;
    const token = bearerToken(header);
    if (!token) throw unauthorized(header ? 'The Authorization header is not a Bearer token.' : 'Send Authorization: Bearer <token>.');

    if (token.startsWith('rqt_')) {
      const ownTicket = await this.credentials.requesterTicket(token);
      if (!ownTicket) throw unauthorized('The token is not known.');
      const askedTicket = TICKET_ROUTE.test(request.routeOptions.url ?? '') ? request.params.id : undefined;
      if (askedTicket !== undefined && askedTicket !== ownTicket) throw new ProblemError(problem(404, 'The ticket was not found.'));
      request.principal = { kind: 'requester', ticketId: ownTicket };
      // Only on a route of their ticket: the handler reads the ticket from the path, not from the token.
      if (askedTicket !== undefined && rule.requester) return true;
      throw new ProblemError(problem(403, 'A requester may read their ticket and reply to it, nothing more.'));
    }
    const staff = await this.credentials.staff(token);
    if (!staff) throw unauthorized('The token is not known.');
    request.principal = staff;
    if (staff.kind === 'staff' && rule.roles?.includes(staff.role)) return true;
    throw new ProblemError(problem(403, `The ${staff.kind === 'staff' ? staff.role : ''} role may not do this.`));
  }
}

/** The token of an `Authorization: Bearer <token>` header, if it is one. */
export function bearerToken(header: string | undefined): string | undefined {
  return header ? BEARER.exec(header)?.[1] : undefined;
}

function unauthorized(detail: string): ProblemError {
  return new ProblemError(problem(401, detail), { 'www-authenticate': 'Bearer' });
}
