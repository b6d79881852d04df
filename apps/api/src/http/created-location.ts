import type { FastifyInstance } from 'fastify';

/**
 * Where each route that makes something (a POST answering 201) lets it be read, from its answer. Routes
 * whose 201 makes nothing with an address of its own (new codes, a new token or secret) are not
 * here.
 */
const CREATED: Record<string, (answer: Record<string, unknown>) => string> = {
  '/v1/tickets': (answer) => `/v1/tickets/${answer.ticketId}`,
  '/v1/staff': (answer) => `/v1/staff/${answer.id}`,
  '/v1/webhooks': (answer) => `/v1/webhooks/${answer.id}`,
};

/**
 * A 201 says in `Location` where what it made is read (RFC 9110, 15.3.2). Worked out from the
 * answer as it is sent, so that an Idempotency-Key replay, which keeps only the body, says it too.
 */
export function registerCreatedLocation(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply, payload) => {
    const locate = reply.statusCode === 201 ? CREATED[request.routeOptions.url ?? ''] : undefined;
    if (locate && typeof payload === 'string') reply.header('location', locate(JSON.parse(payload)));
  });
}
