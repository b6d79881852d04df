import type { FastifyReply } from 'fastify';

export interface FieldError {
  field: string;
  message: string;
}

/** An RFC 9457 problem, the body of every error answer. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
}

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/**
 * Problem types are stable names under this base, documented in docs/api.md. A 400 that names
 * fields is a `validation` problem wherever the field is (body, query, header or path), so that
 * a client shows field errors for one type.
 */
export function problem(status: number, detail: string, options: { type?: string; errors?: FieldError[] } = {}): Problem {
  const fallback = status === 400 && options.errors ? 'validation' : (TITLES[status] ?? 'error').toLowerCase().replace(/ /g, '-');
  return {
    type: `https://reclaim.dev/problems/${options.type ?? fallback}`,
    title: TITLES[status] ?? 'Error',
    status,
    detail,
    ...(options.errors ? { errors: options.errors } : {}),
  };
}

/**
 * A problem about one field. Its message names the field ("minPosition must be given once"), so
 * that a client can show it as it is.
 */
export function fieldProblem(status: number, detail: string, field: string, rule: string, type?: string): Problem {
  return problem(status, detail, { type, errors: [{ field, message: `${field} ${rule}` }] });
}

/**
 * A 400 about fields, each with its own message: its detail names every field once ("Invalid
 * limit, after."). What class-validator finds and what the pipe and interceptors refuse by name
 * all take this shape.
 */
export function fieldsProblem(errors: FieldError[]): Problem {
  return problem(400, `Invalid ${[...new Set(errors.map((error) => error.field))].join(', ')}.`, { errors });
}

/**
 * An error that already knows its problem (validation, headers, limits). It is an answer, not a
 * fault, and nothing reads its stack, so none is captured: that took ~5% of a refused request.
 */
export class ProblemError extends Error {
  constructor(readonly problem: Problem, readonly headers: Record<string, string> = {}) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(problem.detail);
    Error.stackTraceLimit = limit;
  }
}

/**
 * Answers carry personal data and secrets shown once (tokens, recovery codes, TOTP secrets): no
 * cache on the way may keep them, and no browser may read them as anything but what they say.
 */
export const PRIVATE_ANSWER = { 'cache-control': 'no-store', 'x-content-type-options': 'nosniff' };

export function sendProblem(reply: FastifyReply, body: Problem, headers: Record<string, string> = {}): FastifyReply {
  return reply.code(body.status).headers(headers).type('application/problem+json').send(body);
}
