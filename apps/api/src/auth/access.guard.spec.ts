import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import type { ProblemError } from '../http/problem';
import { AccessGuard } from './access.guard';
import type { AccessRule } from './access.decorator';
import type { CredentialsService } from './credentials.service';

const TOKEN = 'rqt_' + 'a'.repeat(43);
const OWN_TICKET = 'ticket-1';

/** The guard's answer for a requester holding the token of OWN_TICKET, on a route (pattern and id). */
async function answer(rule: AccessRule, url: string, id?: string): Promise<number | boolean> {
  const credentials = { requesterTicket: async (token: string) => (token === TOKEN ? OWN_TICKET : undefined) } as unknown as CredentialsService;
  const reflector = { getAllAndOverride: () => rule } as unknown as Reflector;
  const request = { headers: { authorization: `Bearer ${TOKEN}` }, params: id === undefined ? {} : { id }, routeOptions: { url } };
  const context = { getHandler: () => undefined, getClass: () => undefined, switchToHttp: () => ({ getRequest: () => request }) } as unknown as ExecutionContext;
  try {
    return await new AccessGuard(reflector, credentials).canActivate(context);
  } catch (error) {
    return (error as ProblemError).problem.status;
  }
}

describe('AccessGuard and requester tokens', () => {
  it('opens a requester route on the token holder\'s own ticket only', async () => {
    expect(await answer({ requester: true }, '/v1/tickets/:id', OWN_TICKET)).toBe(true);
    expect(await answer({ requester: true }, '/v1/tickets/:id/replies', 'ticket-2')).toBe(404);
    expect(await answer({ roles: ['agent'] }, '/v1/tickets/:id/notes', OWN_TICKET)).toBe(403);
  });

  it('fails closed on a requester route whose path is not known to name a ticket, as its handler would read the ticket from the path', async () => {
    expect(await answer({ requester: true }, '/v2/tickets/:id', 'ticket-2')).toBe(403);
    expect(await answer({ requester: true }, '/v1/something')).toBe(403);
  });
});
