import { ConsoleLogger } from '@nestjs/common';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../config';
import { createApp } from '../create-app';
import { openApiDocument } from './document';

/** The OpenAPI document as committed in docs/openapi.json (stable key order, trailing newline). */
export async function renderOpenApi(): Promise<string> {
  const dataDir = mkdtempSync(join(tmpdir(), 'reclaim-openapi-'));
  // A server made only to be described: its start-up lines (and its "no staff" advice) are noise.
  const app = await createApp(loadConfig({ RECLAIM_DATA_DIR: dataDir }), new ConsoleLogger({ logLevels: ['error'] }));
  try {
    return `${JSON.stringify(openApiDocument(app), null, 2)}\n`;
  } finally {
    await app.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (require.main === module) {
  void renderOpenApi().then((text) => {
    writeFileSync(join(process.argv[2] ?? 'docs/openapi.json'), text);
    process.stdout.write(`wrote ${process.argv[2] ?? 'docs/openapi.json'}\n`);
  });
}
