import fc from 'fast-check';
import { ADMIN_TOKEN, client, createStaff, startServer, type Call, type RunningServer } from '../support/server';

/**
 * Thousands of random and malformed requests against every route: never a 5xx, never a stored
 * change from a refused request, and the audit chain still verifies at the end.
 */
const METRICS_TOKEN = 'metrics-token-0123456789abcdef0123456789';
let server: RunningServer;
let call: Call;
const tokens: string[] = [];
let ticketId = '';
let webhookId = '';
/** A staff member of its own, so that the staff routes are fuzzed past "not found" without locking out the callers. */
let staffId = '';

beforeAll(async () => {
  // A real subscription, so that its routes are fuzzed past "not found" (its target answers nothing).
  server = await startServer({ RECLAIM_WEBHOOK_ALLOW_LOCAL: 'true', RECLAIM_METRICS_TOKEN: METRICS_TOKEN });
  call = client(server.url);
  for (const role of ['agent', 'supervisor', 'auditor', 'integrator']) tokens.push(await createStaff(call, role));
  await call('PUT', '/v1/accounts/fuzzed', { token: ADMIN_TOKEN, body: { primaryEmail: 'f@example.org', emails: [], packages: [] } });
  const ticket = (await call('POST', '/v1/tickets', { body: { username: 'fuzzed', contactEmail: 'f@example.org', reason: 'lost-email', explanation: 'x' } })).body;
  ticketId = ticket.ticketId;
  webhookId = (await call('POST', '/v1/webhooks', { token: ADMIN_TOKEN, body: { url: 'http://127.0.0.1:9/hook' } })).body.id;
  staffId = (await call('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name: 'Fuzzed', role: 'agent' } })).body.id;
  tokens.push(ticket.accessToken, ADMIN_TOKEN, 'rqt_' + 'A'.repeat(43), 'rcl_nope-nope-nope-nope', METRICS_TOKEN);
}, 60000);
afterAll(async () => {
  await server.stop();
  server.cleanUp();
});

const PATHS = [
  '/v1/tickets', '/v1/tickets/{id}', '/v1/tickets/{id}/replies', '/v1/tickets/{id}/assign', '/v1/tickets/{id}/request-info',
  '/v1/tickets/{id}/verify', '/v1/tickets/{id}/reject', '/v1/tickets/{id}/notes', '/v1/tickets/{id}/release', '/v1/tickets/{id}/withdraw', '/v1/tickets/{id}/access-token', '/v1/tickets/{id}/history', '/v1/tickets/reject-open', '/v1/queues/{q}', '/v1/queues/{q}/claim-next',
  '/v1/queues', '/v1/audit/verify', '/v1/accounts', '/v1/accounts/batch', '/v1/accounts/{u}', '/v1/accounts/{u}/history', '/v1/accounts/{u}/recovery-codes', '/v1/accounts/{u}/recovery-codes/import',
  '/v1/accounts/{u}/totp', '/v1/accounts/{u}/totp/import', '/v1/staff', '/v1/staff/{id}', '/v1/staff/{id}/token', '/v1/staff/{id}/role', '/v1/staff/{id}/name', '/v1/staff/{id}/activity', '/v1/staff/{id}/history', '/v1/webhooks', '/v1/webhooks/{id}', '/v1/webhooks/{id}/deliveries', '/v1/webhooks/{id}/history', '/v1/webhooks/{id}/redeliver', '/v1/webhooks/{id}/held/none', '/v1/webhooks/{id}/ping',
  '/v1/webhooks/{id}/secret', '/v1/webhooks/{id}/enable', '/v1/webhooks/{id}/disable', '/v1/events', '/health', '/metrics', '/docs/openapi.json',
];

/**
 * Text of every kind: ASCII, any code point (controls, invisible and bidirectional ones, astral),
 * whole graphemes, and what look like addresses but hide a character. (`fc.string()` alone is
 * ASCII.) Halves of surrogate pairs come too, which JSON carries and UTF-8 cannot.
 */
const text = (constraints: { maxLength?: number } = {}) =>
  fc.oneof(
    fc.string(constraints),
    fc.string({ ...constraints, unit: 'binary' }),
    fc.string({ ...constraints, unit: 'grapheme' }),
    fc.constantFrom('\ud800', 'a\udc00b', 'x\u202egro.elpmaxe@example.org', 'zoe\u200b@example.org', '\u009b31m', 'f\u0301@example.org'),
  );
const segment = fc.oneof(
  fc.constant('{real}'),
  // (A path is percent-encoded UTF-8, which has no halves of surrogate pairs.)
  text({ maxLength: 40 }).filter((value) => !/[\ud800-\udfff]/u.test(value)),
  fc.constantFrom('..', '%00', '%2e%2e', 'ticket-x', "' OR 1=1 --", '😀', 'a'.repeat(300), 'submitted', 'overdue', 'mine'),
  // Sent as it is, not percent-encoded: a broken escape.
  fc.constant({ raw: '%E0%A4%A' }),
);
const json = fc.oneof(
  fc.anything({ maxDepth: 3 }),
  fc.record({
    username: fc.oneof(text(), fc.constant('fuzzed'), fc.integer()),
    contactEmail: fc.oneof(fc.emailAddress(), text()),
    reason: fc.oneof(fc.constantFrom('lost-email', 'other', 'insufficient-evidence'), text()),
    explanation: fc.oneof(text({ maxLength: 100 }), fc.constant('   ')),
    message: text(),
    question: text(),
    body: text(),
    evidence: fc.oneof(fc.array(text()), text()),
    note: text(),
    recoveryCode: fc.oneof(fc.stringMatching(/^[0-9a-f]{16}$/), text()),
    totpCode: fc.oneof(fc.stringMatching(/^\d{6}$/), text()),
    hashes: fc.array(text()),
    url: fc.oneof(fc.webUrl(), text()),
    types: fc.array(text()),
    role: fc.oneof(fc.constantFrom('admin', 'supervisor', 'agent', 'auditor', 'integrator'), text()),
    name: text(),
    previousSecretValidFor: fc.oneof(fc.constantFrom('0s', '24h', '7d', '8d', '1000000d', '00h'), text(), fc.integer()),
    // The fields of the other bodies: a submission's lists, an account, a claim, a release, a
    // TOTP import, a redelivery, a webhook's concurrency.
    previousEmails: fc.oneof(fc.array(fc.oneof(fc.emailAddress(), text())), text()),
    packages: fc.oneof(fc.array(fc.oneof(fc.constantFrom('left-pad', '@scope/pkg'), text())), text()),
    primaryEmail: fc.oneof(fc.emailAddress(), text()),
    emails: fc.oneof(fc.array(fc.oneof(fc.emailAddress(), text())), text()),
    critical: fc.oneof(fc.boolean(), text()),
    frozen: fc.oneof(fc.boolean(), text()),
    assignee: text(),
    from: text(),
    secret: fc.oneof(fc.stringMatching(/^[A-Z2-7]{32}$/), text()),
    position: fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 70n }).map(String), text()),
    concurrency: fc.oneof(fc.integer({ min: -1, max: 40 }), fc.double(), text()),
    // A batch of accounts: entries valid, broken, or not accounts at all.
    accounts: fc.oneof(
      fc.array(fc.oneof(
        fc.record({ username: fc.oneof(fc.constantFrom('fuzzed', 'fuzzed-2'), text()), primaryEmail: fc.oneof(fc.emailAddress(), text()), emails: fc.array(fc.emailAddress(), { maxLength: 2 }), packages: fc.constant([]), critical: fc.oneof(fc.boolean(), text()) }, { requiredKeys: [] }),
        fc.anything({ maxDepth: 1 }),
      ), { maxLength: 4 }),
      text(),
    ),
  }, { requiredKeys: [] }),
);
const request = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
  path: fc.constantFrom(...PATHS),
  a: segment,
  query: fc.oneof(fc.constant(''), fc.constantFrom('?at=2026-01-01T00:00:00Z', '?at=nonsense', '?limit=-1', '?limit=9999', '?after=zzz', '?minPosition=-5', '?types=a,b', '?after=18446744073709551616', '?limit=1&limit=2', '?limit=', '?limit=1e1', '?types=', '?username=fuzzed', '?ticketNumber=1', '?ticketNumber=0', '?username=..%2F', '?reason=lost-2fa', '?state=awaiting-info', '?state=open', '?contactEmail=%ED%A0%80', '?contactEmail=a%40b.org', '?through=5', '?through=-1', '?at=2026-02-30', '?position=18446744073709551616', '?ticketId=%00', '?critical=true', '?frozen=false&critical=true', '?critical=yes', '?frozen=', '?critical=true&critical=false')),
  token: fc.option(fc.constantFrom(...Array.from({ length: 9 }, (_, i) => i)), { nil: undefined }),
  body: fc.oneof(
    json.map((value) => ({ raw: JSON.stringify(value) ?? 'null', type: 'application/json' })),
    fc.string().map((raw) => ({ raw, type: 'application/json' })),
    // A body whose object gives a key twice (JSON.parse would keep the last).
    json
      .filter((value): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0)
      .map((value) => {
        const [key] = Object.keys(value);
        return { raw: `${JSON.stringify(value).slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(value[key!]) ?? 'null'}}`, type: 'application/json' };
      }),
    // Nesting deep enough to exhaust a recursive walk, still under the size limit.
    fc.nat({ max: 20000 }).map((depth) => ({ raw: `{"body":${'['.repeat(depth)}${']'.repeat(depth)}}`, type: 'application/json' })),
    fc.string().map((raw) => ({ raw, type: 'text/plain' })),
    fc.constant(undefined),
  ),
  idempotencyKey: fc.option(fc.string({ maxLength: 210 }), { nil: undefined }),
  ifMatch: fc.option(fc.oneof(fc.string(), fc.nat().map(String)), { nil: undefined }),
});

const head = async () => (await call('GET', '/health')).body.head as string;

describe('text in any script', () => {
  /** Where text goes in, and where it is read back: a staff member's note, and a requester's explanation. */
  const fields = {
    body: async (value: string) => {
      const answer = await call('POST', `/v1/tickets/${ticketId}/notes`, { token: tokens[0], body: { body: value } });
      return { answer, readBack: async () => (await view(ticketId, answer.body.position)).notes.at(-1).body };
    },
    explanation: async (value: string) => {
      const answer = await call('POST', '/v1/tickets', { body: { username: 'fuzzed', contactEmail: 'f@example.org', reason: 'lost-email', explanation: value } });
      return { answer, readBack: async () => (await view(answer.body.ticketId, answer.body.position)).explanation };
    },
  };
  const view = async (id: string, position: string) => (await call('GET', `/v1/tickets/${id}?minPosition=${position}`, { token: tokens[0] })).body;

  it('is kept as it was sent, trimmed, or refused naming the field when it holds a control character', async () => {
    await fc.assert(
      fc.asyncProperty(fc.constantFrom(...(Object.keys(fields) as Array<keyof typeof fields>)), text({ maxLength: 60 }), async (field, value) => {
        const { answer, readBack } = await fields[field](value);
        const trimmed = value.trim();
        if (/[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/.test(value)) {
          expect([answer.status, answer.body.errors]).toEqual([400, [{ field, message: `${field} must not contain control characters` }]]);
        } else if (trimmed === '') {
          expect([answer.status, answer.body.errors]).toEqual([400, [{ field, message: `${field} must not be empty` }]]);
        } else {
          expect(answer.status).toBeLessThan(300);
          expect(await readBack()).toBe(trimmed);
        }
      }),
      { numRuns: 300, seed: Number(process.env.FUZZ_SEED ?? 20261126) },
    );
  }, 120000);
});

describe('fuzzing every route', () => {
  it('answers thousands of random requests with no 5xx and no stored change when refusing', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const real = r.path.startsWith('/v1/webhooks') ? webhookId : r.path.startsWith('/v1/staff') ? staffId : ticketId;
        const fill = (value: string) => (value === '{real}' ? real : value);
        const segmentFor = (slot: string) =>
          typeof r.a === 'object' ? r.a.raw : encodeURIComponent(fill(slot === '{u}' && r.a === '{real}' ? 'fuzzed' : r.a));
        const path = r.path.replace(/\{[a-z]+\}/, segmentFor) + r.query;
        const headers: Record<string, string> = {};
        if (r.body) headers['content-type'] = r.body.type;
        // The feed as pages: a stream would never end.
        if (r.path === '/v1/events') headers.accept = 'application/json';
        if (r.idempotencyKey !== undefined) headers['idempotency-key'] = r.idempotencyKey.replace(/[\r\n\0]/g, '');
        if (r.ifMatch !== undefined) headers['if-match'] = r.ifMatch.replace(/[\r\n\0]/g, '');
        const before = await head();
        let answer;
        try {
          answer = await call(r.method, path, { token: r.token === undefined ? undefined : tokens[r.token], raw: r.body?.raw, headers });
        } catch (error) {
          // fetch refuses some header values itself; nothing reached the server.
          if ((error as Error).name === 'TypeError') return;
          throw error;
        }
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        expect(answer.status).toBeLessThan(500);
        // Every refusal is a problem answer, whichever layer refused it.
        if (answer.status >= 400) {
          expect(answer.headers.get('content-type')).toContain('application/problem+json');
          expect(answer.body.status).toBe(answer.status);
        }
        // A refusal changes nothing, except a rate-limited code attempt, which the contract records.
        if (answer.status >= 400 && answer.status !== 429) expect(await head()).toBe(before);
      }),
      // A fixed seed keeps CI reproducible; FUZZ_SEED explores other inputs (a failure prints its seed).
      { numRuns: 4000, seed: Number(process.env.FUZZ_SEED ?? 20261126) },
    );
    expect([...statuses.keys()].some((s) => s >= 200 && s < 300)).toBe(true);
    const audit = await call('GET', '/v1/audit/verify', { token: ADMIN_TOKEN });
    expect(audit.body).toMatchObject({ ok: true });
  }, 240000);
});
