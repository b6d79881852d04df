import { type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/internal';
import type { FastifyRequest } from 'fastify';
import { problem, ProblemError } from './problem';

/**
 * A route whose handler takes no query refuses any query parameter, as a route with a query class
 * refuses the parameters it does not declare (`minPosition`, taken off before, aside): a caller
 * whose parameter does nothing (`/history?limit=5`) is told so rather than ignored.
 */
export class UnknownQueryInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler) {
    const query = context.switchToHttp().getRequest<FastifyRequest>().query as Record<string, unknown> | undefined;
    const names = Object.keys(query ?? {});
    if (names.length && !takesQuery(context)) {
      throw new ProblemError(
        problem(400, `Invalid ${names.join(', ')}.`, { errors: names.map((field) => ({ field, message: `${field} is not a known field` })) }),
      );
    }
    return next.handle();
  }
}

/** Whether the handler has a `@Query()` parameter: Nest keys its parameters "<type>:<index>". */
function takesQuery(context: ExecutionContext): boolean {
  const parameters = Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), context.getHandler().name) ?? {};
  return Object.keys(parameters).some((key) => key.split(':')[0] === String(RouteParamtypes.QUERY));
}
