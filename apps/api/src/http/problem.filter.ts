import { Catch, Logger, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from './problem';
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
    sendProblem(http.getResponse<FastifyReply>(), body, headers);
  }
}
