// The raw HTTP baseline: a bare Fastify server with one JSON route, nothing else.
import Fastify from 'fastify';

const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
app.post('/echo', async (request) => ({ received: true, size: JSON.stringify(request.body).length }));
app.listen({ port: 0, host: '127.0.0.1' }).then(() => {
  const address = app.server.address();
  process.stdout.write(`{"listening":true,"port":${typeof address === 'object' && address ? address.port : 0}}\n`);
});
