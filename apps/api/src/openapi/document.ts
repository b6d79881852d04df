import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import { withConventions } from './conventions';
import { withInputRules } from './input-rules';

/** The OpenAPI 3 document, built from the controllers and DTOs themselves. */
export function openApiDocument(app: INestApplication): OpenAPIObject {
  const config = new DocumentBuilder()
    .setTitle('Reclaim')
    .setDescription('Event-sourced account-recovery tickets. Errors are application/problem+json (RFC 9457).')
    .setVersion('1')
    .addSecurity('bearer', { type: 'http', scheme: 'bearer', description: 'A staff token (`rcl_…`) or a requester\'s token for their ticket (`rqt_…`); both opaque.' })
    .build();
  return withInputRules(withConventions(SwaggerModule.createDocument(app, config)), app);
}

/** Serves the document and its UI; built when first asked for, not at every start. */
export function serveOpenApi(app: INestApplication): void {
  SwaggerModule.setup('docs', app, () => openApiDocument(app), { jsonDocumentUrl: 'docs/openapi.json', yamlDocumentUrl: undefined });
}
