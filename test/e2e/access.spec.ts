import { ADMIN_TOKEN, client, createStaff, startServer, type Call, type RunningServer } from '../support/server';

/**
 * One table: every route of the contract against every kind of caller. `ok` means the caller gets
 * past authentication and authorisation (whatever the command then answers).
 */
type Caller = 'none' | 'unknown' | 'admin' | 'supervisor' | 'agent' | 'auditor' | 'integrator' | 'requester' | 'otherRequester';
const CALLERS: Caller[] = ['none', 'unknown', 'admin', 'supervisor', 'agent', 'auditor', 'integrator', 'requester', 'otherRequester'];
type Outcome = 'ok' | 401 | 403 | 404;

interface Route {
  method: string;
  path: string;
  body?: unknown;
  allowed: Caller[];
  /** What a requester gets on a route that is not theirs (403 on their own ticket, 404 on another). */
  requesterOutcome?: Outcome;
}

const STAFF_WORK: Caller[] = ['admin', 'supervisor', 'agent'];
const READERS: Caller[] = ['admin', 'supervisor', 'agent', 'auditor'];

const ROUTES: Route[] = [
  { method: 'POST', path: '/v1/tickets', body: { username: 'probe', contactEmail: 'p@example.org', reason: 'other-bad', explanation: 'x' }, allowed: CALLERS },
  { method: 'GET', path: '/v1/tickets/{id}', allowed: [...READERS, 'requester'] },
  { method: 'POST', path: '/v1/tickets/{id}/replies', body: { message: 'hello' }, allowed: ['requester'] },
  { method: 'POST', path: '/v1/tickets/{id}/assign', allowed: STAFF_WORK },
  { method: 'POST', path: '/v1/tickets/{id}/request-info', body: { question: 'q?' }, allowed: STAFF_WORK },
  { method: 'POST', path: '/v1/tickets/{id}/verify', body: { evidence: ['probe'], note: 'probe' }, allowed: STAFF_WORK },
  { method: 'POST', path: '/v1/tickets/{id}/reject', body: { reason: 'other', note: 'probe' }, allowed: STAFF_WORK },
  { method: 'POST', path: '/v1/tickets/{id}/notes', body: { body: 'n' }, allowed: STAFF_WORK },
  { method: 'GET', path: '/v1/tickets/{id}/history', allowed: READERS },
  { method: 'GET', path: '/v1/tickets/{id}?at=2026-01-01T00:00:00Z', allowed: READERS },
  { method: 'GET', path: '/v1/queues/submitted', allowed: READERS },
  { method: 'GET', path: '/v1/queues', allowed: READERS },
  { method: 'GET', path: '/v1/audit/verify', allowed: ['admin', 'supervisor', 'auditor'] },
  { method: 'PUT', path: '/v1/accounts/probe', body: { primaryEmail: 'p@example.org', emails: [], packages: [] }, allowed: ['admin', 'integrator'] },
  { method: 'GET', path: '/v1/accounts/probe', allowed: [...READERS, 'integrator'] },
  { method: 'POST', path: '/v1/accounts/probe/recovery-codes', allowed: ['admin', 'integrator'] },
  { method: 'POST', path: '/v1/accounts/probe/recovery-codes/import', body: { hashes: ['x'] }, allowed: ['admin', 'integrator'] },
  { method: 'POST', path: '/v1/accounts/probe/totp', allowed: ['admin', 'integrator'] },
  { method: 'POST', path: '/v1/staff', body: { name: 'n', role: 'nope' }, allowed: ['admin'] },
  { method: 'GET', path: '/v1/events?types=nope', allowed: ['admin', 'integrator'] },
  { method: 'POST', path: '/v1/webhooks', body: { url: 'ftp://nope' }, allowed: ['admin', 'integrator'] },
  { method: 'GET', path: '/v1/webhooks', allowed: ['admin', 'integrator'] },
  { method: 'GET', path: '/v1/webhooks/none/deliveries', allowed: ['admin', 'integrator'] },
];

let server: RunningServer;
let call: Call;
const tokens: Partial<Record<Caller, string>> = { unknown: 'rcl_' + 'x'.repeat(43), admin: ADMIN_TOKEN };
let ticketId: string;

beforeAll(async () => {
  server = await startServer();
  call = client(server.url);
  for (const role of ['supervisor', 'agent', 'auditor', 'integrator'] as const) {
    tokens[role] = await createStaff(call, role);
  }
  await call('PUT', '/v1/accounts/probe', { token: ADMIN_TOKEN, body: { primaryEmail: 'p@example.org', emails: [], packages: [] } });
  const mine = (await call('POST', '/v1/tickets', { body: { username: 'probe', contactEmail: 'p@example.org', reason: 'lost-email', explanation: 'x' } })).body;
  const other = (await call('POST', '/v1/tickets', { body: { username: 'other', contactEmail: 'o@example.org', reason: 'lost-email', explanation: 'y' } })).body;
  ticketId = mine.ticketId;
  tokens.requester = mine.accessToken;
  tokens.otherRequester = other.accessToken;
}, 60000);
afterAll(async () => {
  await server.stop();
  server.cleanUp();
});

function expected(route: Route, caller: Caller): Outcome {
  if (route.allowed.includes(caller)) return 'ok';
  if (caller === 'none' || caller === 'unknown') return 401;
  if (caller === 'otherRequester') return 404;
  if (caller === 'requester') return route.path.includes('{id}') ? 403 : 404;
  return 403;
}

describe('access control: every route against every caller', () => {
  const cases = ROUTES.flatMap((route) => CALLERS.map((caller) => [`${route.method} ${route.path}`, caller, route] as const));
  it.each(cases)('%s as %s', async (_name, caller, route) => {
    const answer = await call(route.method, route.path.replace('{id}', ticketId), { token: tokens[caller], body: route.body });
    const outcome = expected(route, caller);
    if (outcome === 'ok') {
      expect([401, 403]).not.toContain(answer.status);
      // Allowed callers may still meet a 404 where the thing asked about does not exist.
      if (answer.status === 404) expect(['/v1/tickets/{id}?at=2026-01-01T00:00:00Z', '/v1/webhooks/none/deliveries']).toContain(route.path);
    } else {
      expect(answer.status).toBe(outcome);
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
      expect(answer.body).toMatchObject({ status: outcome, title: expect.any(String), detail: expect.any(String) });
    }
    if (outcome === 401) expect(answer.headers.get('www-authenticate')).toBe('Bearer');
  });
});
