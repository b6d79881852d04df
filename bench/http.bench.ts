import autocannon from 'autocannon';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { client, createStaff, startServer } from '../test/support/server';
import { fmt, type Figure } from './support';

const CONNECTIONS = 16;

interface LoadResult {
  rate: number;
  p50: number;
  p99: number;
  errors: number;
}

function load(url: string, options: Partial<autocannon.Options>, seconds: number): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    autocannon({ url, connections: CONNECTIONS, duration: seconds, ...options }, (error, result) => {
      if (error) return reject(error);
      resolve({ rate: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.non2xx + result.errors });
    });
  });
}

async function bareFastify(): Promise<{ url: string; stop: () => void }> {
  const child = spawn(process.execPath, ['-r', join(__dirname, '..', 'scripts', 'ts-register.js'), join(__dirname, 'bare-fastify.ts')], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve) => child.stdout!.once('data', (chunk: Buffer) => resolve(/"port":(\d+)/.exec(chunk.toString())![1]!)));
  return { url: `http://127.0.0.1:${port}`, stop: () => child.kill() };
}

/** HTTP commands against a bare Fastify JSON route, with the same load tool and connections. */
export async function httpBench(seconds: number): Promise<Figure[]> {
  const bare = await bareFastify();
  const baseline = await load(`${bare.url}/echo`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'someone', note: 'x'.repeat(80) }) }, seconds);
  bare.stop();

  const server = await startServer({ RECLAIM_SUBMISSION_LIMIT: '100000000/h' });
  try {
    const call = client(server.url);
    const agent = await createStaff(call, 'agent', 'Bench');
    let n = 0;
    const submitted: string[] = [];
    const submit = await load(
      server.url,
      {
        requests: [
          {
            method: 'POST',
            path: '/v1/tickets',
            headers: { 'content-type': 'application/json' },
            setupRequest: (request) => ({ ...request, body: JSON.stringify({ username: `load${n++}`, contactEmail: 'l@example.org', reason: 'lost-email', explanation: 'under load' }) }),
            onResponse: (status, body) => {
              if (status === 201) submitted.push((JSON.parse(body) as { ticketId: string }).ticketId);
            },
          },
        ],
      },
      seconds,
    );
    // Then a step of the lifecycle on each ticket just filed, once each (submitted → awaiting-info).
    let k = 0;
    const asked = await load(
      server.url,
      {
        amount: submitted.length,
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${agent}` },
            setupRequest: (request) => ({ ...request, path: `/v1/tickets/${submitted[k++]}/request-info`, body: JSON.stringify({ question: 'Which phone did you use?' }) }),
          },
        ],
      },
      seconds,
    );
    const tickets: string[] = [];
    for (let i = 0; i < 200; i++) tickets.push((await call('POST', '/v1/tickets', { body: { username: `t${i}`, contactEmail: 't@example.org', reason: 'lost-email', explanation: 'x' } })).body.ticketId);
    let m = 0;
    const noted = await load(
      server.url,
      {
        requests: [
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${agent}` },
            setupRequest: (request) => ({ ...request, path: `/v1/tickets/${tickets[m++ % tickets.length]}/notes`, body: JSON.stringify({ body: 'x'.repeat(80) }) }),
          },
        ],
      },
      seconds,
    );
    // The framework's own ceiling on this machine: the same route, refused by validation before
    // any command runs (no store, no read model), so the figures above can be read against it.
    const refused = await load(
      server.url,
      { requests: [{ method: 'POST', path: '/v1/tickets', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: '', reason: 'lost-email' }) }] },
      seconds,
    );
    const figure = (name: string, r: LoadResult): Figure => ({
      name: `${name} (${CONNECTIONS} connections)`,
      value: `${fmt(r.rate)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms${r.errors ? `, ${r.errors} non-2xx` : ''}`,
      baseline: `${fmt(baseline.rate)} req/s bare Fastify (p50 ${baseline.p50} ms, p99 ${baseline.p99} ms)`,
      ratio: r.rate / baseline.rate,
      target: '≥ 30%',
      met: r.rate / baseline.rate >= 0.3,
    });
    return [
      figure('HTTP POST /v1/tickets', submit),
      figure('HTTP POST /v1/tickets/{id}/request-info, a transition, once on each ticket just filed', asked),
      figure('HTTP POST /v1/tickets/{id}/notes', noted),
      {
        name: `HTTP POST /v1/tickets refused by validation, no command (${CONNECTIONS} connections): the framework's ceiling`,
        value: `${fmt(refused.rate)} req/s, p50 ${refused.p50} ms, p99 ${refused.p99} ms`,
        baseline: `${fmt(baseline.rate)} req/s bare Fastify`,
        ratio: refused.rate / baseline.rate,
      },
    ];
  } finally {
    await server.stop();
    server.cleanUp();
  }
}
