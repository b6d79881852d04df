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
  operationId: string;
  parameters?: Array<{ name: string; in: string; required?: boolean; schema: object }>;
  requestBody?: { content: Record<string, { schema: object }> };
  responses: Record<string, { content?: Record<string, { schema: object }>; headers?: Record<string, { required?: boolean }> }>;
}

/** docs/openapi.json, as committed. */
export const document = JSON.parse(readFileSync(join(__dirname, '..', '..', 'docs', 'openapi.json'), 'utf8')) as {
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

/** The formats the document names, for bodies and parameters alike. */
function withFormats(validating: Ajv): Ajv {
  validating.addFormat('date-time', (value: string) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(value));
  // Loosely: what an address and a URL look like; the server's own checks are the strict ones.
  validating.addFormat('email', /^[^@\s]+@[^@\s]+$/);
  validating.addFormat('uri', (value: string) => URL.canParse(value));
  return validating;
}

const ajv = withFormats(new Ajv({ strict: false, allErrors: true }));
const components = closed(document.components) as object;
const validators = new Map<string, ValidateFunction>();

/** The validator compiled once for `key`. */
function cached(key: string, compile: () => ValidateFunction): ValidateFunction {
  let validate = validators.get(key);
  if (!validate) validators.set(key, (validate = compile()));
  return validate;
}

const validator = (key: string, schema: object) => cached(key, () => ajv.compile({ ...(closed(schema) as object), components }));

/** What the test sent beside the method and URL. */
interface Request {
  headers?: Record<string, string>;
  body?: unknown;
}

/** A request as the server reads it: strings trimmed, a field given as `null` left out (docs/api.md, Errors). */
function asRead(value: unknown): unknown {
  if (typeof value === 'string') return value.trim();
  if (Array.isArray(value)) return value.map(asRead);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([, field]) => field !== null).map(([key, field]) => [key, asRead(field)]));
}

/** Query and path parameters arrive as text: read as the types their schemas name. */
const parameterAjv = withFormats(new Ajv({ strict: false, allErrors: true, coerceTypes: true }));

type Place = 'path' | 'query' | 'header';

/**
 * The operation's parameters of one place as one object, each as its schema says: no other path
 * or query parameter (the server refuses unknown ones); headers beside those declared are the
 * HTTP's own (Authorization, Content-Type), not parameters.
 */
function parametersValidator(operation: Operation, place: Place): ValidateFunction {
  return cached(`${operation.operationId} ${place}`, () => {
    // Header names are read without case, so as the test client's fetch sends them: lower case.
    const named = (name: string) => (place === 'header' ? name.toLowerCase() : name);
    const declared = (operation.parameters ?? []).filter((parameter) => parameter.in === place);
    const properties = Object.fromEntries(declared.map(({ name, schema }) => [named(name), schema]));
    const required = declared.filter((parameter) => parameter.required).map(({ name }) => named(name));
    return parameterAjv.compile({ type: 'object', properties, required, additionalProperties: place === 'header' });
  });
}

/**
 * The query as the server reads it: a list (`types`) from every value given, each split at commas
 * (`types=a,b&types=c`); any other parameter from its value.
 */
function queryValues(operation: Operation, search: URLSearchParams): Record<string, unknown> {
  const isList = (name: string) => (operation.parameters ?? []).some((parameter) => parameter.in === 'query' && parameter.name === name && (parameter.schema as { type?: string }).type === 'array');
  return Object.fromEntries([...search.keys()].map((name) => [name, isList(name) ? search.getAll(name).flatMap((value) => value.split(',')) : search.get(name)]));
}

/**
 * What the document would refuse of a request the server took: its path and query parameters and
 * its body, each against its schema (a body with no field the schema does not name, as the
 * server refuses unknown fields too).
 */
function refusedByDocument(operation: Operation, template: string, url: URL, request: Request): string | undefined {
  const values: Record<Place, Record<string, unknown>> = {
    path: {},
    query: queryValues(operation, url.searchParams),
    // As sent: fetch takes spaces and tabs off both ends of a header's value (the Fetch standard's normalising).
    header: Object.fromEntries(Object.entries(request.headers ?? {}).map(([name, value]) => [name.toLowerCase(), value.replace(/^[ \t]+|[ \t]+$/g, '')])),
  };
  const templateParts = template.split('/');
  url.pathname.split('/').forEach((part, i) => {
    const name = /^\{(.+)\}$/.exec(templateParts[i]!)?.[1];
    if (name) values.path[name] = decodeURIComponent(part);
  });
  for (const place of ['path', 'query', 'header'] as const) {
    const validate = parametersValidator(operation, place);
    if (!validate({ ...values[place] })) return `the ${place} parameters are not as documented: ${parameterAjv.errorsText(validate.errors, { dataVar: place })}`;
  }
  const bodySchema = operation.requestBody?.content['application/json']?.schema;
  if (request.body === undefined || !bodySchema) return undefined;
  const validate = validator(`${operation.operationId} request`, bodySchema);
  return validate(asRead(request.body)) ? undefined : `the body is not as documented: ${ajv.errorsText(validate.errors, { dataVar: 'body' })}`;
}

/**
 * What is wrong with an exchange, by the document; undefined when nothing is. The answer is
 * checked always; the request, when the server took it (2xx), so that the document refuses
 * nothing the server takes.
 */
export function undocumented(method: string, url: URL, answer: { status: number; headers: Headers; body: unknown }, request: Request): string | undefined {
  const match = templates.find(({ pattern }) => pattern.test(url.pathname));
  const operation = match && document.paths[match.template]![method.toLowerCase()];
  const { status, headers, body } = answer;
  if (!match || !operation || BEFORE_ROUTING.has(status)) return undefined;
  const name = `${method} ${url.pathname} (${match.template}) ${status}`;
  const response = operation.responses[String(status)];
  if (!response) return `${name}: the status is not documented`;
  const missing = Object.entries(response.headers ?? {}).filter(([header, { required }]) => required && !headers.has(header));
  if (missing.length) return `${name}: the documented header ${missing.map(([header]) => header).join(', ')} is missing`;
  const refused = status < 300 ? refusedByDocument(operation, match.template, url, request) : undefined;
  if (refused) return `${name}: the server took a request the document refuses: ${refused}\n${url.search} ${JSON.stringify(request.body)?.slice(0, 2000)}`;
  if (body === undefined || body === '' || method === 'HEAD') return undefined;
  const mediaType = (headers.get('content-type') ?? '').split(';')[0]!.trim();
  const content = response.content?.[mediaType];
  if (!content) return `${name}: ${mediaType} is not documented (${Object.keys(response.content ?? {}).join(', ') || 'no body'})`;
  if (mediaType === 'text/event-stream') return undefined;
  const validate = validator(`${method} ${match.template} ${status} ${mediaType}`, content.schema);
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
