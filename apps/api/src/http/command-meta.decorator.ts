import { createParamDecorator, type ExecutionContext } from '@nestjs/common';
import { ApiHeader } from '@nestjs/swagger';
import type { CommandMeta } from '@reclaim/recovery';
import type { FastifyRequest } from 'fastify';
import { randomUUID } from 'node:crypto';
import { actorOf } from '../auth/principal';
import { Refusing } from '../openapi/documented';
import { fieldProblem, ProblemError } from './problem';

/** The command's id (from Idempotency-Key when sent), its actor, and the request id to correlate. */
export const Meta = createParamDecorator((_: unknown, context: ExecutionContext): CommandMeta => {
  const request = context.switchToHttp().getRequest<FastifyRequest>();
  return {
    commandId: request.commandId ?? randomUUID(),
    actor: actorOf(request.principal ?? { kind: 'public' }),
    correlationId: String(request.id),
  };
});

/** `*`, `3`, `"3"` or `W/"3"`: a quote left open (`"3`) is no entity tag. */
const IF_MATCH = /^(?:\*|(\d{1,18})|(?:W\/)?"(\d{1,18})")$/;

/**
 * `If-Match: 3` or `If-Match: "3"`: the revision the client last saw (of a ticket, a webhook
 * subscription or a staff member). `If-Match: *` asks only that it exists (RFC 9110), which every command
 * on one requires anyway.
 */
export const IfMatch = createParamDecorator((_: unknown, context: ExecutionContext): bigint | undefined => {
  const header = context.switchToHttp().getRequest<FastifyRequest>().headers['if-match'];
  if (header === undefined) return undefined;
  const match = IF_MATCH.exec(String(header).trim());
  if (!match) {
    throw new ProblemError(fieldProblem(400, 'If-Match must be a revision, e.g. If-Match: 3.', 'If-Match', 'must be a revision number'));
  }
  const revision = match[1] ?? match[2];
  return revision === undefined ? undefined : BigInt(revision);
}, [documentIfMatch]);

/** Says in the OpenAPI document that the route takes If-Match, and what a stale one gets. */
function documentIfMatch(target: object, key: string | symbol | undefined): void {
  const descriptor = Object.getOwnPropertyDescriptor(target, key!)!;
  ApiHeader({
    name: 'If-Match',
    required: false,
    description: 'The revision the client last saw (`3` or `"3"`, as the `ETag` of its view): a command on a ticket, subscription or staff member changed since is refused (412).',
    schema: { type: 'string', pattern: IF_MATCH.source },
  })(target, key!, descriptor);
  Refusing(412)(target, key!, descriptor);
}
