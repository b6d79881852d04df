import { isUtf8 } from 'node:buffer';
import { parse } from 'secure-json-parse';
import { fieldProblem, ProblemError } from './problem';
import { firstRepeatedKey } from './repeated-key';

/** The largest body taken, in bytes; a larger one is refused (413) before it is read. */
export const BODY_LIMIT = 64 * 1024;

const refused = (detail: string, rule: string) => new ProblemError(fieldProblem(400, detail, 'body', rule));

/**
 * Reads a JSON body, refusing what Fastify's own parser would take quietly or name wrongly:
 * bytes that are not UTF-8 (they would be stored as U+FFFD, so the log would hold text the sender
 * never wrote), keys that could reach an object's prototype (Fastify refuses those as "not
 * valid JSON", though they are valid JSON), and a key an object gives twice (the last would win).
 */
export function parseJsonBody(body: Buffer): unknown {
  // A body of no bytes is no body. One declared empty never gets here (create-app.ts drops its
  // Content-Type); this is a chunked body that turns out to hold nothing.
  if (body.length === 0) return undefined;
  if (!isUtf8(body)) throw refused('The body is not UTF-8 text.', 'must be UTF-8 text');
  const text = body.toString('utf8');
  let value: unknown;
  try {
    value = parse(text, undefined, { protoAction: 'error', constructorAction: 'error' });
  } catch (error) {
    if (error instanceof SyntaxError && error.message.includes('forbidden prototype')) {
      throw refused('The body holds a __proto__ or constructor.prototype key.', 'must not hold a __proto__ or constructor.prototype key');
    }
    throw refused('The body is not valid JSON.', 'must be valid JSON');
  }
  const repeated = firstRepeatedKey(text);
  if (repeated !== undefined) throw new ProblemError(fieldProblem(400, `The body gives ${repeated} more than once.`, repeated, 'must be given once'));
  return value;
}
