import SwaggerParser from '@apidevtools/swagger-parser';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ID, INSTANT, TOTP_CODE, USERNAME } from '../http/patterns';
import { renderOpenApi } from './write-openapi';

const committed = readFileSync(join(__dirname, '..', '..', '..', '..', 'docs', 'openapi.json'), 'utf8');

interface Operation {
  parameters?: Array<{ name: string; in: string; required?: boolean; schema?: object }>;
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
  security?: unknown[];
}

const document = JSON.parse(committed) as {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, { properties: Record<string, Record<string, unknown>> }> };
};
const operations = Object.entries(document.paths).flatMap(([path, item]) =>
  Object.entries(item).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, path, method, operation })),
);

describe('docs/openapi.json', () => {
  it('is the document the code produces (regenerate with `npm run openapi`)', async () => {
    expect(committed).toBe(await renderOpenApi());
  });

  it('is a valid OpenAPI 3.0 document whose references all resolve', async () => {
    await expect(SwaggerParser.validate(JSON.parse(committed))).resolves.toBeDefined();
  });

  // Without them a generated client, or the UI's "Try it out", sends `{id}` as it stands.
  it('declares every parameter of every path', () => {
    const undeclared = operations.flatMap(({ name, path, operation }) =>
      [...path.matchAll(/\{([^}]+)\}/g)]
        .map(([, parameter]) => parameter!)
        .filter((parameter) => !operation.parameters?.some((declared) => declared.in === 'path' && declared.name === parameter && declared.required))
        .map((parameter) => `${name}: ${parameter}`),
    );
    expect(undeclared).toEqual([]);
  });

  it('says what each operation answers when it succeeds, and that its refusals are problems', () => {
    const unsaid = operations.flatMap(({ name, operation }) => {
      const answers = Object.entries(operation.responses);
      const success = answers.filter(([status]) => /^2/.test(status));
      const refusals = answers.filter(([status]) => /^[45]/.test(status));
      return [
        // A 204 has no body to describe.
        ...(success.some(([status]) => status !== '204') &&
        success.every(([status, answer]) => status === '204' || (answer.content?.['application/json']?.schema ?? answer.content?.['text/event-stream']))
          ? []
          : [`${name}: no success schema`]),
        ...refusals.filter(([, answer]) => !answer.content?.['application/problem+json']).map(([status]) => `${name}: ${status} is not a problem`),
        ...['400', '500', '503'].filter((status) => !operation.responses[status]).map((status) => `${name}: no ${status}`),
      ];
    });
    expect(unsaid).toEqual([]);
  });

  it('asks for a Bearer token exactly where one is needed, with what its absence and a wrong role get', () => {
    const open = operations.filter(({ operation }) => !operation.security?.length).map(({ name }) => name);
    expect(open.sort()).toEqual(['GET /health', 'POST /v1/tickets']);
    const unsaid = operations
      .filter(({ operation }) => operation.security?.length)
      .flatMap(({ name, operation }) => ['401', '403'].filter((status) => !operation.responses[status]).map((status) => `${name}: no ${status}`));
    expect(unsaid).toEqual([]);
  });

  it('names the headers and parameters the app takes on every route of a kind', () => {
    const takes = (operation: Operation, place: string, name: string) => operation.parameters?.some((parameter) => parameter.in === place && parameter.name === name);
    const missing = operations.flatMap(({ name, method, path, operation }) => [
      ...(method === 'post' && !takes(operation, 'header', 'Idempotency-Key') ? [`${name}: Idempotency-Key`] : []),
      ...(method === 'get' && !takes(operation, 'query', 'minPosition') ? [`${name}: minPosition`] : []),
      ...(method === 'post' && path.startsWith('/v1/tickets/{id}/') && !(takes(operation, 'header', 'If-Match') && operation.responses['412']) ? [`${name}: If-Match`] : []),
    ]);
    expect(missing).toEqual([]);
  });

  // Taken from the class-validator decorators, so a generated client checks what the server will.
  it('says the rules the server checks input by: patterns, lengths, sizes and ranges', () => {
    const { SubmitTicketDto, AccountDto, ImportCodesDto } = document.components.schemas;
    expect(SubmitTicketDto!.properties.username).toMatchObject({ pattern: USERNAME.source });
    expect(SubmitTicketDto!.properties.totpCode).toMatchObject({ pattern: TOTP_CODE.source });
    expect(SubmitTicketDto!.properties.explanation).toMatchObject({ minLength: 1, maxLength: 5000 });
    expect(SubmitTicketDto!.properties.previousEmails).toMatchObject({ maxItems: 10, items: { format: 'email' } });
    expect(AccountDto!.properties.emails).toMatchObject({ uniqueItems: true, items: { format: 'email' } });
    expect(ImportCodesDto!.properties.hashes).toMatchObject({ minItems: 1 });
    const history = document.paths['/v1/tickets/{id}/history']!.get!.parameters!;
    expect(history.find(({ name }) => name === 'id')).toMatchObject({ schema: { pattern: ID.source } });
    expect(history.find(({ name }) => name === 'limit')).toMatchObject({ schema: { type: 'integer', minimum: 1, maximum: 1000 } });
    const at = document.paths['/v1/tickets/{id}']!.get!.parameters!.find(({ name }) => name === 'at');
    expect(at).toMatchObject({ schema: { pattern: INSTANT.source } });
  });
});
