import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest, HTTPMethods } from 'fastify';
import { fieldProblem, sendProblem, type Problem } from './problem';
import { toProblem } from './to-problem';

/** Every error from a controller, guard, pipe or handler leaves as problem+json. */
@Catch()
export class ProblemFilter implements ExceptionFilter {
  private readonly logger = new Logger('Http');

  catch(error: unknown, host: ArgumentsHost): void {
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const { body, headers, unexpected } = toProblem(error);
    if (unexpected) this.logger.error({ requestId: request.id, error: (error as Error)?.stack ?? String(error) });
    // No route matched (Nest's not-found handler threw): perhaps only the method is wrong.
    const unrouted = body.status === 404 && request.routeOptions.url === undefined;
    const answer = (unrouted && methodNotAllowed(request)) || { body, headers };
    sendProblem(http.getResponse<FastifyReply>(), answer.body, answer.headers);
  }
}

const METHODS: HTTPMethods[] = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];

/**
 * Fastify finds no route for a path asked with a method it does not answer to, and so answers 404
 * as if the path did not exist. When another method would have matched, the answer is 405 with
 * `Allow`, so the caller knows the path is right and the method wrong. With CORS on, `OPTIONS`
 * answers every path (a browser's preflight), so it alone does not make a path known.
 */
function methodNotAllowed(request: FastifyRequest): { body: Problem; headers: Record<string, string> } | undefined {
  const url = request.url.split('?')[0]!;
  const allowed = METHODS.filter((method) => request.server.findRoute({ method, url }));
  if (!allowed.some((method) => method !== 'OPTIONS')) return undefined;
  return {
    body: fieldProblem(405, `${request.method} is not allowed on this path; it answers ${allowed.join(', ')}.`, 'method', `must be one of ${allowed.join(', ')}`),
    headers: { allow: allowed.join(', ') },
  };
}
