import { type CallHandler, type ExecutionContext, type NestInterceptor } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/internal';
import type { FastifyRequest } from 'fastify';
import { fieldsProblem, ProblemError } from './problem';

/**
 * A route whose handler takes no query refuses every query parameter, and one that takes no body
 * refuses every body field, as routes with a query or body class refuse what they do not declare
 * (`minPosition`, taken off before, aside). A caller whose input would do nothing
 * (`/history?limit=5`, `{"count": 4}` for new recovery codes) is told so rather than ignored.
 */
export class UndeclaredInputInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler) {
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const takes = declaredInputs(context);
    const undeclared = [
      ...(takes.has(RouteParamtypes.QUERY) ? [] : Object.keys(request.query ?? {})),
      // The body, when there is one, is a JSON object by now (refused before otherwise).
      ...(takes.has(RouteParamtypes.BODY) ? [] : Object.keys(request.body ?? {})),
    ];
    if (undeclared.length) {
      throw new ProblemError(fieldsProblem(undeclared.map((field) => ({ field, message: `${field} is not a known field` }))));
    }
    return next.handle();
  }
}

/** What each handler takes, read from its metadata once rather than on every request. */
const declared = new WeakMap<object, Set<number>>();

/** The kinds of input the handler's parameters take: Nest keys them "<type>:<index>". */
function declaredInputs(context: ExecutionContext): Set<number> {
  const handler = context.getHandler();
  let kinds = declared.get(handler);
  if (!kinds) {
    const parameters = Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ?? {};
    kinds = new Set(Object.keys(parameters).map((key) => Number(key.split(':')[0])));
    declared.set(handler, kinds);
  }
  return kinds;
}
