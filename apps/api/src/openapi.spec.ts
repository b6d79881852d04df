import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderOpenApi } from './write-openapi';

describe('docs/openapi.json', () => {
  it('is the document the code produces (regenerate with `npm run openapi`)', async () => {
    const committed = readFileSync(join(__dirname, '..', '..', '..', 'docs', 'openapi.json'), 'utf8');
    expect(committed).toBe(await renderOpenApi());
  });
});
