import type { SchemaObject } from '@nestjs/swagger';
import { internalTypesFor, PUBLIC_EVENT_TYPES } from '@reclaim/integrations';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { EVENT_SCHEMAS } from './event-schemas';

/** The data fields the document gives a public type. */
function documentedFields(type: string): string[] {
  const name = (EVENT_SCHEMAS.CloudEvent!.discriminator!.mapping![type] ?? '').split('/').at(-1)!;
  const data = EVENT_SCHEMAS[name]?.properties?.data as SchemaObject | undefined;
  return Object.keys(data?.properties ?? {});
}

// The document's schemas are held to the events themselves by the integration tests; this holds
// the catalogue to the document and to the mapping that publishes.
describe('the public events', () => {
  it('are in the event catalogue (docs/events.md) as the OpenAPI document has them, behind the internal events the mapping publishes', () => {
    const catalogue = readFileSync(join(__dirname, '..', '..', '..', '..', 'docs', 'events.md'), 'utf8');
    const rows = [...catalogue.matchAll(/^\| `(\w+)`[^|]*\|[^|]*\| `(recovery\.[a-z.-]+\.v1)` \(`([^`]*)`/gm)];
    const catalogued = Object.fromEntries(rows.map(([, internal, type, fields]) => [type, { internal: [internal], fields: fields!.split(', ') }]));
    const published = Object.fromEntries(PUBLIC_EVENT_TYPES.map((type) => [type, { internal: internalTypesFor([type]), fields: documentedFields(type) }]));
    expect(catalogued).toEqual(published);
  });
});
