import { HttpException } from '@nestjs/common';
import { EventStoreUnavailable, WrongExpectedRevision } from '@reclaim/event-store';
import { MOST_WEBHOOKS, WebhookLimitReached } from '@reclaim/integrations';
import { AlreadyAssigned, InvalidCommand, LastAdmin, NotFound, RecoveredElsewhere, SecretReplaced, StaleRevision, TooManyAttempts, TransitionNotAllowed } from '@reclaim/recovery';
import { BODY_LIMIT } from './json-body';
import { problem, ProblemError, type Problem } from './problem';

/** The one place where errors become HTTP answers. Unknown errors are 500 and say nothing inside. */
export function toProblem(error: unknown): { body: Problem; headers: Record<string, string>; unexpected: boolean } {
  const plain = (body: Problem, headers: Record<string, string> = {}) => ({ body, headers, unexpected: false });
  if (error instanceof ProblemError) return plain(error.problem, error.headers);
  if (error instanceof TransitionNotAllowed) {
    return plain(problem(409, `${error.message}. Current state: ${error.state}.`, { type: 'transition-not-allowed' }));
  }
  if (error instanceof RecoveredElsewhere) {
    const then = error.through.verified
      ? 'Verifying this ticket as well would hand the account to a second contact address: the system closes it as a duplicate. A requester who still cannot get in files a new request.'
      : 'Look at this ticket again in a moment: once that ticket is verified, the system closes this one as a duplicate.';
    // One being recorded is settled in a moment, either way: a client may look again then.
    return plain(problem(409, `${error.message[0]!.toUpperCase()}${error.message.slice(1)}. ${then}`, { type: 'recovered-elsewhere' }), error.through.verified ? {} : { 'retry-after': '1' });
  }
  if (error instanceof AlreadyAssigned) {
    return plain(
      problem(409, `The ticket is assigned to ${error.holder}; a claim takes only a free ticket, or one whose holder was deactivated. To take it over, assign it by name: {"assignee": "<staff id>"}.`, {
        type: 'already-assigned',
      }),
    );
  }
  if (error instanceof LastAdmin) {
    return plain(
      problem(409, `${error.staffId} is the last active admin. Make another admin first (POST /v1/staff with role admin, or POST /v1/staff/{id}/role), then deactivate this one or give them another role.`, { type: 'last-admin' }),
    );
  }
  if (error instanceof WebhookLimitReached) {
    return plain(problem(409, `At most ${MOST_WEBHOOKS} webhook subscriptions may exist at once. Delete one no longer used (DELETE /v1/webhooks/{id}), or subscribe one URL to more types.`, { type: 'webhook-limit' }));
  }
  if (error instanceof NotFound) return plain(problem(404, `The ${error.what} was not found.`));
  if (error instanceof SecretReplaced) {
    const since = error.by === 'key' ? 'was sealed with a secret key that was lost and replaced since' : 'has been replaced since by another request';
    return plain(problem(409, `The first answer to this request was lost, and the ${error.what} it issued ${since}; it cannot be shown again.`, { type: 'secret-replaced' }));
  }
  if (error instanceof StaleRevision) {
    return plain(problem(412, `If-Match ${error.expected} is stale: the ${error.what} is at revision ${error.actual}.`, { type: 'stale-revision' }));
  }
  if (error instanceof TooManyAttempts) {
    return plain(problem(429, `Too many ${error.message.split(';')[0]!.replace('too many ', '')}. Retry after ${error.retryAfterSeconds} seconds.`), {
      'retry-after': String(error.retryAfterSeconds),
    });
  }
  if (error instanceof InvalidCommand) {
    return plain(problem(422, error.message, { errors: [{ field: error.field, message: error.message }] }));
  }
  if (error instanceof WrongExpectedRevision) {
    return plain(problem(409, 'Others changed the same record again and again while this command was decided; send it again.', { type: 'concurrent-change' }));
  }
  if (error instanceof EventStoreUnavailable) return { body: problem(503, 'The event store cannot take this request now; try again shortly.'), headers: { 'retry-after': '2' }, unexpected: true };
  if (error instanceof HttpException) {
    const status = error.getStatus();
    // Nest wraps Fastify's body errors (too large, cut short) and keeps the original as
    // the cause; its code gives a plainer message than Fastify's text.
    const cause = error.cause as { code?: string } | undefined;
    const detail = cause?.code?.startsWith('FST_ERR_CTP') ? fastifyDetail(cause) : httpExceptionDetail(error);
    // Errors about the body as a whole (too large, cut short) name the body as the field. (A
    // body's type is checked before it is read, in create-app.ts.)
    const aboutBody = status === 400 || status === 413;
    return plain(problem(status, detail, aboutBody ? { errors: [{ field: 'body', message: detail }] } : {}));
  }
  const fastify = error as { statusCode?: number; code?: string; message?: string };
  if (typeof fastify.statusCode === 'number' && fastify.statusCode >= 400 && fastify.statusCode < 500) {
    return plain(problem(fastify.statusCode, fastifyDetail(fastify)));
  }
  return { body: problem(500, 'Something went wrong on our side; it has been logged.'), headers: {}, unexpected: true };
}

function httpExceptionDetail(error: HttpException): string {
  const response = error.getResponse();
  const message = typeof response === 'string' ? response : (response as { message?: unknown }).message;
  return Array.isArray(message) ? message.join('; ') : String(message ?? error.message);
}

function fastifyDetail(error: { code?: string; message?: string }): string {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return `The body is larger than ${BODY_LIMIT / 1024} KiB.`;
    default:
      // JSON itself is read by parseJsonBody, which names its own problems; this is the rest
      // (a body shorter or longer than its Content-Length, say).
      return error.code?.startsWith('FST_ERR_CTP') ? 'The body could not be read.' : (error.message ?? 'Bad request.');
  }
}
