import Ajv, { type ValidateFunction } from 'ajv';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Checks answers and events against docs/openapi.json: an answer's status is one the operation
 * documents, its content type one documented for that status, and its body valid against that
 * schema, with no field the schema does not name; an event is a `CloudEvent` as documented. Every
 * end-to-end request goes through it (see `client`), and every event the integration tests
 * receive, so the document cannot promise integrators what the server does not send.
 */

interface Operation {
  responses: Record<string, { content?: Record<string, { schema: object }> }>;
}

const document = JSON.parse(readFileSync(join(__dirname, '..', '..', 'docs', 'openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, object> };
};

/**
 * Answered before any route is matched, for every path alike (docs/api.md, Errors): a method the
 * path does not take, a request not sent in time, a path part or headers too long.
 */
const BEFORE_ROUTING = new Set([405, 408, 414, 431]);

const templates = Object.keys(document.paths).map((template) => ({
  template,
  pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
}));

/** Objects with the fields they name and no others, so an undocumented field is found too. */
function closed(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(closed);
  if (schema === null || typeof schema !== 'object') return schema;
  const each = (object: object) => Object.fromEntries(Object.entries(object).map(([key, value]) => [key, closed(value)]));
  // `properties` maps field names, not keywords, to schemas.
  const copy = Object.fromEntries(Object.entries(schema).map(([key, value]) => [key, key === 'properties' ? each(value as object) : closed(value)]));
  return 'properties' in copy && !('additionalProperties' in copy) ? { ...copy, additionalProperties: false } : copy;
}

const ajv = new Ajv({ strict: false, allErrors: true });
ajv.addFormat('date-time', (value: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value));
const components = closed(document.components) as object;
const validators = new Map<string, ValidateFunction>();

function validator(key: string, schema: object): ValidateFunction {
  let validate = validators.get(key);
  if (!validate) {
    validate = ajv.compile({ ...(closed(schema) as object), components });
    validators.set(key, validate);
  }
  return validate;
}

/** What is wrong with the answer, by the document; undefined when nothing is. */
export function undocumented(method: string, path: string, status: number, contentType: string | null, body: unknown): string | undefined {
  const match = templates.find(({ pattern }) => pattern.test(path));
  const operation = match && document.paths[match.template]![method.toLowerCase()];
  if (!match || !operation || BEFORE_ROUTING.has(status)) return undefined;
  const name = `${method} ${path} (${match.template}) ${status}`;
  const response = operation.responses[String(status)];
  if (!response) return `${name}: the status is not documented`;
  if (body === undefined || body === '' || method === 'HEAD') return undefined;
  const mediaType = (contentType ?? '').split(';')[0]!.trim();
  const content = response.content?.[mediaType];
  if (!content) return `${name}: ${mediaType} is not documented (${Object.keys(response.content ?? {}).join(', ') || 'no body'})`;
  if (mediaType === 'text/event-stream') return undefined;
  const validate = validator(`${name} ${mediaType}`, content.schema);
  if (validate(body)) return undefined;
  return `${name}: the body is not as documented: ${ajv.errorsText(validate.errors, { dataVar: 'body' })}\n${JSON.stringify(body).slice(0, 2000)}`;
}

/** The schema of each public event type, by the document's discriminator. */
const eventSchemas = (document.components.schemas.CloudEvent as { discriminator: { mapping: Record<string, string> } }).discriminator.mapping;

/** What is wrong with an event received on the feed or by a webhook, by the document; undefined when nothing is. */
export function undocumentedEvent(event: { type?: unknown }): string | undefined {
  const schema = eventSchemas[String(event.type)];
  if (!schema) return `the event type ${String(event.type)} is not documented`;
  const validate = validator(schema, { $ref: schema });
  if (validate(event)) return undefined;
  return `the event is not as documented: ${ajv.errorsText(validate.errors, { dataVar: 'event' })}\n${JSON.stringify(event).slice(0, 2000)}`;
}
