import { applyDecorators } from '@nestjs/common';
import { ApiResponse, type HeadersObject } from '@nestjs/swagger';
import { schemaRef, type AnswerSchema } from './answer-schemas';

/** What each refusal means, as the document says it on every route that can answer it. */
export const REFUSALS = {
  400: 'Bad input; `errors` names each field at fault.',
  401: 'No token, or one that is not known (`WWW-Authenticate: Bearer`).',
  403: 'The token\'s role may not do this.',
  404: 'Not found (also a ticket a requester token does not open).',
  409: 'Not allowed now: in the ticket\'s state (named in `detail`), or for a conflict named by `type` (such as `concurrent-change`: send it again); `Retry-After` when it passes by itself in a moment.',
  412: '`If-Match` names a revision that is no longer the current one; nothing changed.',
  413: 'The body is over 64 KiB.',
  415: 'The body is not sent as uncompressed UTF-8 JSON.',
  422: 'Well-formed, but naming something that cannot be; or an `Idempotency-Key` already used with another body.',
  429: 'Too many attempts; `Retry-After` says when to try again.',
  500: 'An unexpected fault; the answer says nothing of it, and the log has it under the answer\'s `X-Request-Id`.',
  503: 'The store cannot answer now, or the read models have not reached `minPosition`; `Retry-After` says when to try again.',
} as const;

export type Refusal = keyof typeof REFUSALS;

const header = (description: string, required = true) => ({ description, required, schema: { type: 'string' as const } });

/** Headers that answers carry, by name. */
export const HEADERS = {
  'X-Request-Id': header('The request\'s id, as the log names it: the caller\'s own when it sent a safe one.'),
  ETag: header('The revision the view shows, for `If-None-Match`, and for `If-Match` on a command.'),
  Location: header('Where what was made is read.'),
  'Retry-After': header('Seconds to wait before trying again.'),
  'WWW-Authenticate': header('`Bearer`.'),
};

/** The headers of a refusal, beyond those of every answer. */
const REFUSAL_HEADERS: Partial<Record<Refusal, HeadersObject>> = {
  401: { 'WWW-Authenticate': HEADERS['WWW-Authenticate'] },
  429: { 'Retry-After': HEADERS['Retry-After'] },
  503: { 'Retry-After': HEADERS['Retry-After'] },
};

/** A refusal's answer: a problem (RFC 9457). */
export const problemAnswer = (status: Refusal, description: string = REFUSALS[status]) => ({
  description,
  content: { 'application/problem+json': { schema: schemaRef('Problem') } },
  ...(REFUSAL_HEADERS[status] && { headers: REFUSAL_HEADERS[status] }),
});

/** The route's answer when it succeeds: one of several schemas when it depends on who asks. */
export const Answers = (status: 200 | 201 | 202, schema: AnswerSchema | AnswerSchema[], headers?: HeadersObject) =>
  ApiResponse({
    status,
    description: '',
    content: { 'application/json': { schema: Array.isArray(schema) ? { oneOf: schema.map(schemaRef) } : schemaRef(schema) } },
    ...(headers && { headers }),
  });

/**
 * The refusals particular to the route. Those every route can give (bad input, a fault, an
 * unavailable store), and those of every write and every POST, are added to the document as a
 * whole (see `conventions.ts`); those of who may call it, by `@Access`; a stale `If-Match`, by
 * `@IfMatch`.
 */
export const Refuses = (...statuses: Refusal[]) => applyDecorators(...statuses.map((status) => Refusing(status)));

/** One refusal, said as the route has it when its general meaning says too little. */
export const Refusing = (status: Refusal, description?: string) => ApiResponse({ status, ...problemAnswer(status, description) });
