import { Logger } from '@nestjs/common';
import { loadConfig } from './config';
import { createApp } from './create-app';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen(config.port, '0.0.0.0');
  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  Logger.log({ message: `Reclaim listening on http://localhost:${port}`, port, store: config.eventStore, dataDir: config.dataDir }, 'Main');
}

main().catch((error) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1); // not a skipped test: ends a server that failed to start, whose open handles would keep Node running
});
