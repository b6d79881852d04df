import type { OpenAPIObject, OperationObject, ParameterObject, ResponseObject, ResponsesObject } from '@nestjs/swagger';
import { IDEMPOTENCY_KEY } from '../http/idempotency';
import { POSITION } from '../http/patterns';
import { ANSWER_SCHEMAS } from './answer-schemas';
import { HEADERS, problemAnswer, type Refusal } from './documented';
import { EVENT_SCHEMAS } from './event-schemas';

/** `Idempotency-Key`, which every POST takes (see `http/idempotency.ts`). */
const IDEMPOTENCY_KEY_HEADER: ParameterObject = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description: '1 to 200 printable characters. The same key and body again answers the first answer again and applies nothing twice; the same key with another body is refused (422).',
  schema: { type: 'string', pattern: IDEMPOTENCY_KEY.source },
};

/** `minPosition`, which every GET takes (see `http/read-your-writes.ts`). */
const MIN_POSITION: ParameterObject = {
  name: 'minPosition',
  in: 'query',
  required: false,
  description: 'A `position` from a command\'s answer: the read answers once the read models hold it (or 503 after a few seconds), so a client reads its own writes.',
  schema: { type: 'string', pattern: POSITION.source },
};

/**
 * What the app's hooks do for whole classes of routes, said on each operation they apply to: every
 * route refuses bad input (400), a body too large (413) or not JSON (415), answers a fault (500),
 * and 503 while the store cannot; any write may be overtaken (409); every POST takes an
 * Idempotency-Key; every GET takes `minPosition`; every answer carries `X-Request-Id`. The
 * schemas of the answers and of the events integrators receive are added to the document's
 * components.
 */
export function withConventions(document: OpenAPIObject): OpenAPIObject {
  document.components = { ...document.components, schemas: { ...document.components?.schemas, ...ANSWER_SCHEMAS, ...EVENT_SCHEMAS } };
  for (const item of Object.values(document.paths)) {
    for (const [method, operation] of Object.entries(item) as Array<[string, OperationObject]>) {
      // A body is read whatever the method, so it may be too large or not JSON on any route.
      const refusals: Refusal[] = [400, 413, 415, 500, 503];
      // Any command can be overtaken by others too many times while it is decided (409 concurrent-change).
      if (method !== 'get') refusals.push(409);
      if (method === 'post') refusals.push(422);
      const parameter = method === 'get' ? MIN_POSITION : method === 'post' ? IDEMPOTENCY_KEY_HEADER : undefined;
      if (parameter) operation.parameters = [...(operation.parameters ?? []), parameter];
      for (const status of refusals) operation.responses[status] ??= problemAnswer(status);
      for (const answer of Object.values(operation.responses) as ResponseObject[]) answer.headers = { 'X-Request-Id': HEADERS['X-Request-Id'], ...answer.headers };
      operation.responses = inStatusOrder(operation.responses);
    }
  }
  return document;
}

function inStatusOrder(responses: ResponsesObject): ResponsesObject {
  return Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
}
