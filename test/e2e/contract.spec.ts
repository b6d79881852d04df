import Database from 'better-sqlite3';
import { readdirSync, readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { settlesWithin } from '@reclaim/recovery/testing';
import { document as committedDocument } from '../support/documented-answers';
import { ADMIN_TOKEN, client, createStaff, eventually, startServer, withServer, type Call, type RunningServer } from '../support/server';

let server: RunningServer;
let call: Call;
let agent: string;
let integrator: string;
const head = async () => (await call('GET', '/health')).body.head as string;
const ticket = (username: string) => ({ username, contactEmail: `${username}@example.org`, reason: 'lost-email', explanation: 'help' });

beforeAll(async () => {
  server = await startServer();
  call = client(server.url);
  agent = await createStaff(call, 'agent', 'Ada');
  integrator = await createStaff(call, 'integrator', 'Platform');
}, 60000);
afterAll(async () => {
  await server.stop();
  server.cleanUp();
});

/** A 400 naming fields is a validation problem, and each message says which field it is about. */
function expectFieldMessages(problem: { status: number; type: string; errors: Array<{ field: string; message: string }> }) {
  if (problem.status === 400) expect(problem.type).toBe('https://reclaim.dev/problems/validation');
  for (const { field, message } of problem.errors) expect({ field, message }).toEqual({ field, message: expect.stringContaining(field.split('.')[0]!) });
}

/** Each GET (as an agent) is refused as a validation problem naming exactly that field, with that message. */
async function expectQueryRefusals(refusals: Array<[path: string, field: string, message: string]>) {
  for (const [path, field, message] of refusals) {
    const answer = await call('GET', path, { token: agent });
    expect({ path, status: answer.status, type: answer.body.type, errors: answer.body.errors }).toEqual({
      path, status: 400, type: 'https://reclaim.dev/problems/validation', errors: [{ field, message }],
    });
  }
}

describe('bad input gets a 4xx problem naming the field, and changes nothing', () => {
  const cases: Array<[string, Parameters<Call>[2], number, string]> = [
    ['an unknown field', { body: { ...ticket('a'), admin: true } }, 400, 'admin'],
    ['a missing field', { body: { username: 'a', contactEmail: 'a@example.org', reason: 'lost-email' } }, 400, 'explanation'],
    ['a bad email', { body: { ...ticket('a'), contactEmail: 'not-an-email' } }, 400, 'contactEmail'],
    ['an unknown reason', { body: { ...ticket('a'), reason: 'bored' } }, 400, 'reason'],
    ['a bad username', { body: { ...ticket('a'), username: '../etc/passwd' } }, 400, 'username'],
    ['a string of spaces', { body: { ...ticket('a'), explanation: '   ' } }, 400, 'explanation'],
    ['a number for a string', { body: { ...ticket('a'), explanation: 42 } }, 400, 'explanation'],
    ['a control character', { body: { ...ticket('a'), explanation: 'help\u0000me' } }, 400, 'explanation'],
    ['a recovery code too long to be one', { body: { ...ticket('a'), recoveryCode: 'f'.repeat(65) } }, 400, 'recoveryCode'],
    ['too many previous emails', { body: { ...ticket('a'), previousEmails: Array.from({ length: 11 }, (_, i) => `p${i}@example.org`) } }, 400, 'previousEmails'],
    ['malformed JSON', { raw: '{"username": ', headers: { 'content-type': 'application/json' } }, 400, 'body'],
    ['a key given twice', { raw: `{"username":"a","contactEmail":"a@example.org","reason":"lost-email","explanation":"x","username":"b"}`, headers: { 'content-type': 'application/json' } }, 400, 'username'],
    ['a JSON array', { raw: '[1,2]', headers: { 'content-type': 'application/json' } }, 400, 'body'],
    ['a JSON string', { raw: '"lost-email"', headers: { 'content-type': 'application/json' } }, 400, 'body'],
    ['a JSON number', { raw: '42', headers: { 'content-type': 'application/json' } }, 400, 'body'],
    ['thousands of nested brackets', { raw: `{"username":${'['.repeat(20000)}${']'.repeat(20000)}}`, headers: { 'content-type': 'application/json' } }, 400, 'body'],
    // The body is one level, so eight lists in it are nine: refused as a whole; seven are eight, read field by field.
    ['nine levels of nesting', { raw: `{"username":${'['.repeat(8)}${']'.repeat(8)}}`, headers: { 'content-type': 'application/json' } }, 400, 'body'],
    ['eight levels of nesting', { raw: `{"username":${'['.repeat(7)}${']'.repeat(7)}}`, headers: { 'content-type': 'application/json' } }, 400, 'username'],
    ['plain text', { raw: 'username=a', headers: { 'content-type': 'text/plain' } }, 415, 'Content-Type'],
    ['form data', { raw: 'username=a', headers: { 'content-type': 'application/x-www-form-urlencoded' } }, 415, 'Content-Type'],
    ['JSON in another charset', { raw: JSON.stringify(ticket('a')), headers: { 'content-type': 'application/json; charset=ISO-8859-1' } }, 415, 'Content-Type'],
    ['a compressed body', { raw: JSON.stringify(ticket('a')), headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } }, 415, 'Content-Encoding'],
    ['a body over 64 KiB', { body: { ...ticket('a'), explanation: 'x'.repeat(70 * 1024) } }, 413, 'body'],
    ['a bad Idempotency-Key', { body: ticket('a'), headers: { 'idempotency-key': 'x'.repeat(201) } }, 400, 'Idempotency-Key'],
  ];

  it.each(cases)('%s', async (_name, options, status, field) => {
    const before = await head();
    const answer = await call('POST', '/v1/tickets', options);
    expect(answer.status).toBe(status);
    expect(answer.headers.get('content-type')).toContain('application/problem+json');
    expect(answer.body).toMatchObject({ type: expect.stringMatching(/^https:\/\//), title: expect.any(String), status, detail: expect.any(String) });
    expect(answer.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    expectFieldMessages(answer.body);
    expect(await head()).toBe(before);
  });

  it('takes JSON that names its charset as UTF-8, or its encoding as identity', async () => {
    for (const type of ['application/json; charset=utf-8', 'application/json;charset="UTF-8"', 'Application/JSON; CHARSET=utf8']) {
      const answer = await call('POST', '/v1/tickets', { raw: JSON.stringify(ticket('charset')), headers: { 'content-type': type } });
      expect([type, answer.status]).toEqual([type, 201]);
    }
    const identity = await call('POST', '/v1/tickets', { raw: JSON.stringify(ticket('identity')), headers: { 'content-type': 'application/json', 'content-encoding': 'identity' } });
    expect(identity.status).toBe(201);
  });

  it('names headers, query parameters and the path as fields of a validation problem, as it does body fields', async () => {
    const { ticketId } = (await call('POST', '/v1/tickets', { body: ticket('headerfields') })).body;
    const before = await head();
    const refusals: Array<[string, string, Parameters<Call>[2], string]> = [
      ['POST', `/v1/tickets/${ticketId}/notes`, { token: agent, body: { body: 'x' }, headers: { 'if-match': 'soon' } }, 'If-Match'],
      ['POST', '/v1/tickets', { body: ticket('headerfields2'), headers: { 'idempotency-key': 'x'.repeat(201) } }, 'Idempotency-Key'],
      ['POST', '/v1/tickets', { body: ticket('headerfields2'), headers: { 'idempotency-key': 'two words' } }, 'Idempotency-Key'],
      ['GET', '/v1/queues/submitted?minPosition=abc', { token: agent }, 'minPosition'],
      ['GET', `/v1/queues/submitted?minPosition=${'9'.repeat(21)}`, { token: agent }, 'minPosition'],
      ['GET', '/v1/queues/submitted?minPosition=1&minPosition=2', { token: agent }, 'minPosition'],
      ['GET', '/v1/events', { token: integrator, headers: { 'last-event-id': 'yesterday' } }, 'Last-Event-ID'],
      // Numbers no event has: the feed would wait there, skipping every event until the log reached them.
      ['GET', '/v1/events', { token: integrator, headers: { 'last-event-id': '9'.repeat(18) } }, 'Last-Event-ID'],
      ['GET', `/v1/events?after=${'9'.repeat(20)}`, { token: integrator }, 'after'],
      ['GET', '/v1/queues/%E0%A4%A', { token: agent }, 'path'],
    ];
    for (const [method, path, options, field] of refusals) {
      const answer = await call(method, path, options);
      expect({ path, field, status: answer.status, type: answer.body.type, fields: answer.body.errors?.map((e: { field: string }) => e.field) }).toEqual({
        path, field, status: 400, type: 'https://reclaim.dev/problems/validation', fields: [field],
      });
      expectFieldMessages(answer.body);
    }
    expect(await head()).toBe(before);
  });

  it('keeps line breaks and tabs inside text', async () => {
    const { ticketId } = (await call('POST', '/v1/tickets', { body: { ...ticket('lines'), explanation: 'first line\r\nsecond\tline' } })).body;
    const history = await call('GET', `/v1/tickets/${ticketId}/history`, { token: agent });
    expect(history.body.events[0].data.explanation).toBe('first line\r\nsecond\tline');
  });

  it('says plainly what is wrong with a body that cannot be read', async () => {
    const json = { 'content-type': 'application/json' };
    const tooLarge = await call('POST', '/v1/tickets', { body: { ...ticket('a'), explanation: 'x'.repeat(70 * 1024) } });
    expect(tooLarge.body.detail).toBe('The body is larger than 64 KiB.');
    const notJson = await call('POST', '/v1/tickets', { raw: '{"username": ', headers: json });
    expect(notJson.body.detail).toBe('The body is not valid JSON.');
    // `null` is JSON, but no object: refused as a whole like an array, not as every field missing.
    for (const raw of ['null', '[]', '"text"', '7']) {
      const notObject = await call('POST', '/v1/tickets', { raw, headers: json });
      expect([raw, notObject.status, notObject.body.errors]).toEqual([raw, 400, [{ field: 'body', message: 'body must be a JSON object' }]]);
    }
    // A body of no bytes is no body, as it is without the header: a submission misses its fields,
    // and a claim, which takes no body, is a claim.
    const empty = await call('POST', '/v1/tickets', { raw: '', headers: json });
    expect(empty.status).toBe(400);
    expect(empty.body.errors.map((error: { field: string }) => error.field)).toEqual(['username', 'contactEmail', 'reason', 'explanation']);
    const { ticketId } = (await call('POST', '/v1/tickets', { body: ticket('emptyclaim') })).body;
    const claim = await call('POST', `/v1/tickets/${ticketId}/assign`, { token: agent, raw: '', headers: json });
    expect([claim.status, claim.body.state]).toEqual([200, 'submitted']);
    // So it is whatever type it is declared as, a type refused for bytes included.
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const release = await call('POST', `/v1/tickets/${ticketId}/release`, { token: agent, raw: '', headers: { 'content-type': type } });
      const again = await call('POST', `/v1/tickets/${ticketId}/assign`, { token: agent, raw: '', headers: { 'content-type': type } });
      expect([type, release.status, again.status]).toEqual([type, 200, 200]);
    }
    // Latin-1 bytes would otherwise be stored as U+FFFD: text the sender never wrote.
    const latin1 = await call('POST', '/v1/tickets', { raw: Buffer.from(JSON.stringify({ ...ticket('latin1'), explanation: 'café' }), 'latin1'), headers: json });
    expect(latin1.status).toBe(400);
    expect(latin1.body).toMatchObject({ type: expect.stringMatching(/validation$/), detail: 'The body is not UTF-8 text.', errors: [{ field: 'body', message: 'body must be UTF-8 text' }] });
    for (const raw of [`{"__proto__": {"admin": true}, "username": "proto"}`, `{"constructor": {"prototype": {"admin": true}}}`]) {
      const poisoned = await call('POST', '/v1/tickets', { raw, headers: json });
      expect(poisoned.status).toBe(400);
      expect(poisoned.body).toMatchObject({ detail: 'The body holds a __proto__ or constructor.prototype key.', errors: [{ field: 'body' }] });
    }
    const utf8 = await call('POST', '/v1/tickets', { raw: Buffer.from(JSON.stringify({ ...ticket('utf8'), explanation: 'café' }), 'utf8'), headers: json });
    expect(utf8.status).toBe(201);
  });

  it('refuses bad staff input with every field at fault named', async () => {
    const { ticketId } = (await call('POST', '/v1/tickets', { body: ticket('staffinput') })).body;
    const before = await head();
    const bad = await call('POST', `/v1/tickets/${ticketId}/verify`, { token: agent, body: { evidence: 'not a list', note: 'x' } });
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual([{ field: 'evidence', message: expect.any(String) }]);
    // A decision must say what it rests on and why.
    const noEvidence = await call('POST', `/v1/tickets/${ticketId}/verify`, { token: agent, body: { evidence: [], note: '  ' } });
    expect(noEvidence.status).toBe(400);
    expect(noEvidence.body.errors).toEqual([
      { field: 'evidence', message: 'evidence must name at least one item the decision rests on' },
      { field: 'note', message: 'note must not be empty' },
    ]);
    // Which of a text's two limits is broken is said in words.
    const tooLong = await call('POST', `/v1/tickets/${ticketId}/verify`, { token: agent, body: { evidence: ['call-back', ''], note: 'x'.repeat(5001) } });
    expect(tooLong.body.errors).toEqual([
      { field: 'evidence.1', message: 'evidence.1 must be 1 to 200 characters' },
      { field: 'note', message: 'note must be at most 5000 characters' },
    ]);
    const noName = await call('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name: '  ', role: 'agent' } });
    expect(noName.body.errors).toEqual([{ field: 'name', message: 'name must not be empty' }]);
    const escape = await call('POST', `/v1/tickets/${ticketId}/verify`, { token: agent, body: { evidence: ['call-back', 'red\u001b[31m'], note: 'ok' } });
    expect(escape.body.errors).toEqual([{ field: 'evidence.1', message: 'evidence.1 must not contain control characters' }]);
    // Every field at fault is named, also each entry of a list, so that a form can mark them all at once.
    const escapes = await call('POST', `/v1/tickets/${ticketId}/verify`, { token: agent, body: { evidence: ['a\u0000', 'ok', 'b\u007f', 'c\u009b31m', 'd\u00a0e'], note: 'c\u0007' } });
    // C1 controls too (U+009B starts an escape sequence on terminals that read C1); U+00A0 after them is text.
    expect(escapes.body.errors.map((error: { field: string }) => error.field)).toEqual(['evidence.0', 'evidence.2', 'evidence.3', 'note']);
    const entries = await call('POST', `/v1/tickets/${ticketId}/verify`, { token: agent, body: { evidence: [7, 'call-back', '', 'x'.repeat(201)], note: 'ok' } });
    expect(entries.body.errors).toEqual([
      { field: 'evidence.0', message: 'evidence.0 must be a string' },
      { field: 'evidence.2', message: 'evidence.2 must be 1 to 200 characters' },
      { field: 'evidence.3', message: 'evidence.3 must be 1 to 200 characters' },
    ]);
    const emails = await call('POST', '/v1/tickets', { body: { ...ticket('entries'), previousEmails: ['a', 'b@example.org', 'c'] } });
    expect(emails.body.errors).toEqual([
      { field: 'previousEmails.0', message: 'previousEmails.0 must be an email address' },
      { field: 'previousEmails.2', message: 'previousEmails.2 must be an email address' },
    ]);
    expect(emails.body.detail).toBe('Invalid previousEmails.0, previousEmails.2.');
    // The email check lets invisible characters and other spaces through, with which one address
    // shows as another (U+202E turns the rest around): each is refused, saying which it is.
    const hidden = await call('POST', '/v1/tickets', {
      body: { ...ticket('hidden'), contactEmail: 'a\u202Egro.elpmaxe@example.org', previousEmails: ['ok@example.org', 'zoe\u200B@example.org', 'x@exa\u3000mple.org', 'é@example.org'] },
    });
    expect(hidden.body.errors).toEqual([
      { field: 'contactEmail', message: 'contactEmail must not hold an invisible character or a space (it holds U+202E)' },
      { field: 'previousEmails.1', message: 'previousEmails.1 must not hold an invisible character or a space (it holds U+200B)' },
      { field: 'previousEmails.2', message: 'previousEmails.2 must not hold an invisible character or a space (it holds U+3000)' },
    ]);
    // Half of a surrogate pair, which JSON can carry (\ud800) and no address holds.
    const halves = await call('POST', '/v1/tickets', { body: { ...ticket('halves'), contactEmail: '\ud800', previousEmails: ['ok@example.org', 'zoe\udc00@example.org'] } });
    expect(halves.status).toBe(400);
    expect(halves.body.errors).toEqual([
      { field: 'contactEmail', message: 'contactEmail must be an email address' },
      { field: 'previousEmails.1', message: 'previousEmails.1 must be an email address' },
    ]);
    const noReason = await call('POST', `/v1/tickets/${ticketId}/reject`, { token: agent, body: { reason: 'other', note: '' } });
    expect(noReason.status).toBe(400);
    expect(noReason.body.errors).toEqual([{ field: 'note', message: 'note must not be empty' }]);
    const unknownAssignee = await call('POST', `/v1/tickets/${ticketId}/assign`, { token: agent, body: { assignee: 'nobody' } });
    expect(unknownAssignee.status).toBe(422);
    expect(unknownAssignee.body.errors).toEqual([{ field: 'assignee', message: expect.any(String) }]);
    const badQueue = await call('GET', '/v1/queues/everything', { token: agent });
    expect(badQueue.status).toBe(400);
    expect(badQueue.body.errors[0].field).toBe('queue');
    const badLimit = await call('GET', '/v1/queues/submitted?limit=0', { token: agent });
    expect(badLimit.body.errors[0].field).toBe('limit');
    const badAt = await call('GET', `/v1/tickets/${ticketId}?at=yesterday`, { token: agent });
    expect(badAt.body.errors[0].field).toBe('at');
    expect(await head()).toBe(before);
  });

  it("refuses each route's input past its rules with the field named, and changes nothing", async () => {
    const { ticketId, accessToken } = (await call('POST', '/v1/tickets', { body: ticket('rules') })).body;
    const onTicket = `/v1/tickets/${ticketId}`;
    const account = (fields: object) => ({ primaryEmail: 'r@example.org', emails: [], packages: [], ...fields });
    const many = (count: number, item: (i: number) => string) => Array.from({ length: count }, (_, i) => item(i));
    const hash = '$2b$04$' + 'a'.repeat(53);
    const refusals: Array<[method: string, path: string, token: string | undefined, body: object, field: string]> = [
      ['POST', '/v1/tickets', undefined, { ...ticket('rules'), previousEmails: ['r@example.org', 'not-an-email'] }, 'previousEmails.1'],
      ['POST', '/v1/tickets', undefined, { ...ticket('rules'), previousEmails: 'r@example.org' }, 'previousEmails'],
      ['POST', '/v1/tickets', undefined, { ...ticket('rules'), packages: many(101, (i) => `p${i}`) }, 'packages'],
      ['POST', '/v1/tickets', undefined, { ...ticket('rules'), packages: ['Left-Pad'] }, 'packages.0'],
      ['POST', '/v1/tickets', undefined, { ...ticket('rules'), packages: ['left-pad', '@a scope/pkg'] }, 'packages.1'],
      ['POST', '/v1/tickets', undefined, { ...ticket('rules'), totpCode: '12345' }, 'totpCode'],
      ['POST', '/v1/tickets', undefined, { ...ticket('rules'), explanation: 'x'.repeat(5001) }, 'explanation'],
      ['POST', '/v1/tickets', undefined, { ...ticket('rules'), username: '.rules' }, 'username'],
      ['POST', '/v1/tickets', undefined, { ...ticket('rules'), username: 'r'.repeat(101) }, 'username'],
      ['POST', `${onTicket}/replies`, accessToken, { message: 'x'.repeat(5001) }, 'message'],
      ['POST', `${onTicket}/replies`, accessToken, { message: 'mine', totpCode: '1234567' }, 'totpCode'],
      ['POST', `${onTicket}/request-info`, agent, { question: 'x'.repeat(2001) }, 'question'],
      ['POST', `${onTicket}/notes`, agent, { body: 'x'.repeat(5001) }, 'body'],
      ['POST', `${onTicket}/verify`, agent, { evidence: many(21, (i) => `item ${i}`), note: 'ok' }, 'evidence'],
      ['POST', `${onTicket}/reject`, agent, { reason: 'bored', note: 'ok' }, 'reason'],
      ['POST', `${onTicket}/assign`, agent, { assignee: 'a'.repeat(65) }, 'assignee'],
      ['PUT', '/v1/accounts/rules', integrator, account({ primaryEmail: 'not-an-email' }), 'primaryEmail'],
      ['PUT', '/v1/accounts/rules', integrator, account({ emails: ['not-an-email'] }), 'emails.0'],
      ['PUT', '/v1/accounts/rules', integrator, account({ emails: many(21, (i) => `e${i}@example.org`) }), 'emails'],
      ['PUT', '/v1/accounts/rules', integrator, account({ packages: ['Left-Pad'] }), 'packages.0'],
      ['PUT', '/v1/accounts/rules', integrator, account({ packages: many(1001, (i) => `p${i}`) }), 'packages'],
      ['PUT', '/v1/accounts/rules', integrator, account({ critical: 'yes' }), 'critical'],
      ['POST', '/v1/accounts/rules/recovery-codes/import', integrator, { hashes: many(33, (i) => hash.slice(0, -2) + String(i).padStart(2, '0')) }, 'hashes'],
      ['POST', '/v1/webhooks', integrator, { url: `https://example.org/${'x'.repeat(2000)}` }, 'url'],
      ['POST', '/v1/webhooks/any/secret', integrator, { previousSecretValidFor: '1000000s' }, 'previousSecretValidFor'],
      ['POST', '/v1/staff', ADMIN_TOKEN, { name: 'x'.repeat(201), role: 'agent' }, 'name'],
      ['POST', '/v1/staff', ADMIN_TOKEN, { name: 'Root', role: 'root' }, 'role'],
    ];
    const before = await head();
    for (const [method, path, token, body, field] of refusals) {
      const answer = await call(method, path, { token, body });
      const about = `${method} ${path.replace(ticketId, '{id}')} ${field}`;
      expect({ about, status: answer.status, fields: answer.body.errors?.map((error: { field: string }) => error.field) }).toEqual({ about, status: 400, fields: [field] });
      expectFieldMessages(answer.body);
    }
    expect(await head()).toBe(before);
  });

  it('refuses account lists that repeat an entry, and addresses that hide a character, and keeps the account as it was', async () => {
    const put = (body: object) => call('PUT', '/v1/accounts/lists', { token: integrator, body: { primaryEmail: 'l@example.org', emails: ['l@example.org'], packages: ['left-pad'], ...body } });
    expect((await put({})).status).toBe(201);
    const before = await head();
    const emails = await put({ emails: ['l@example.org', 'L@Example.org'] });
    expect(emails.status).toBe(400);
    expect(emails.body.errors).toEqual([{ field: 'emails', message: 'emails must not list an address twice' }]);
    const packages = await put({ packages: ['left-pad', 'is-odd', 'left-pad'] });
    expect(packages.status).toBe(400);
    expect(packages.body.errors).toEqual([{ field: 'packages', message: 'packages must not list a package twice' }]);
    // An address with an invisible character would show as one on file while it is another.
    const hidden = await put({ primaryEmail: 'l\u2060@example.org', emails: ['l@example.org', 'l@example\u00AD.org'] });
    expect(hidden.body.errors).toEqual([
      { field: 'primaryEmail', message: 'primaryEmail must not hold an invisible character or a space (it holds U+2060)' },
      { field: 'emails.1', message: 'emails.1 must not hold an invisible character or a space (it holds U+00AD)' },
    ]);
    const halves = await put({ primaryEmail: 'l\ud83d@example.org', emails: ['l@example.org', '\ude00l@example.org'] });
    expect(halves.body.errors).toEqual([
      { field: 'primaryEmail', message: 'primaryEmail must be an email address' },
      { field: 'emails.1', message: 'emails.1 must be an email address' },
    ]);
    expect(await head()).toBe(before);
    expect((await call('GET', '/v1/accounts/lists', { token: integrator })).body).toMatchObject({ emails: ['l@example.org'], packages: ['left-pad'] });
  });

  it('names a query parameter given twice, a limit that is not digits, a cursor that is not one, and input a route does not take, as validation problems', async () => {
    const refusals: Array<[string, string, string]> = [
      ['/v1/queues/submitted?limit=5&limit=5', 'limit', 'limit must be given once'],
      ['/v1/queues/submitted?limit=5&after=x&after=y', 'after', 'after must be given once'],
      ['/v1/queues/submitted?after=not-a-cursor', 'after', 'after must be the next cursor of a previous page'],
      // Only digits are a number: not what `Number` makes of "", " ", "1e1" or "0x10".
      ['/v1/queues/submitted?limit=', 'limit', 'limit must be a whole number'],
      ['/v1/queues/submitted?limit=%20', 'limit', 'limit must be a whole number'],
      ['/v1/queues/submitted?limit=1e1', 'limit', 'limit must be a whole number'],
      ['/v1/queues/submitted?limit=0x10', 'limit', 'limit must be a whole number'],
      ['/v1/tickets/00000000-0000-0000-0000-000000000000?at=2026-01-01T00:00:00Z&at=2026-01-02T00:00:00Z', 'at', 'at must be given once'],
    ];
    await expectQueryRefusals(refusals);
    const twice = await call('GET', '/v1/queues/submitted?minPosition=1&minPosition=1', { token: agent });
    expect(twice.status).toBe(400);
    expect(twice.body.errors).toEqual([{ field: 'minPosition', message: 'minPosition must be given once' }]);
    // An unknown parameter stays unknown, however often it is given, also where a route takes none.
    const unknown = await call('GET', '/v1/queues/submitted?sort=a&sort=b', { token: agent });
    expect(unknown.body.errors).toEqual([{ field: 'sort', message: 'sort is not a known field' }]);
    const { ticketId } = (await call('POST', '/v1/tickets', { body: ticket('noquery') })).body;
    const before = await head();
    for (const [method, path, token] of [
      ['GET', `/v1/tickets/${ticketId}?limit=5`, agent],
      ['GET', '/v1/audit/verify?limit=5', ADMIN_TOKEN],
      ['GET', '/health?limit=5', undefined],
      ['POST', `/v1/tickets/${ticketId}/notes?limit=5`, agent],
    ] as const) {
      const answer = await call(method, path, { token, body: method === 'POST' ? { body: 'n' } : undefined });
      expect({ path, status: answer.status, type: answer.body.type, errors: answer.body.errors }).toEqual({
        path, status: 400, type: 'https://reclaim.dev/problems/validation', errors: [{ field: 'limit', message: 'limit is not a known field' }],
      });
    }
    expect(await head()).toBe(before);
    // Likewise a body field on a route that takes no body: it would do nothing.
    await call('PUT', '/v1/accounts/nobody', { token: integrator, body: { primaryEmail: 'n@example.org', emails: [], packages: [] } });
    const staff = (await call('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name: 'Bodiless', role: 'agent' } })).body;
    const withBodies = [
      ['POST', '/v1/accounts/nobody/recovery-codes', integrator, { count: 4 }, 'count'],
      ['POST', '/v1/accounts/nobody/totp', integrator, { digits: 8 }, 'digits'],
      ['POST', `/v1/staff/${staff.id}/token`, ADMIN_TOKEN, { token: 'mine' }, 'token'],
      ['DELETE', `/v1/staff/${staff.id}`, ADMIN_TOKEN, { reason: 'left' }, 'reason'],
    ] as const;
    const beforeBodies = await head();
    for (const [method, path, token, body, field] of withBodies) {
      const answer = await call(method, path, { token, body });
      expect({ path, status: answer.status, type: answer.body.type, errors: answer.body.errors }).toEqual({
        path, status: 400, type: 'https://reclaim.dev/problems/validation', errors: [{ field, message: `${field} is not a known field` }],
      });
    }
    expect(await head()).toBe(beforeBodies);
    // An empty object, or no body, is no field at all.
    expect((await call('POST', '/v1/accounts/nobody/recovery-codes', { token: integrator, body: {} })).status).toBe(201);
    expect((await call('POST', '/v1/accounts/nobody/totp', { token: integrator })).status).toBe(201);
    // minPosition is every GET's, with or without a query of its own.
    expect((await call('GET', `/v1/tickets/${ticketId}/history?minPosition=${before}`, { token: agent })).status).toBe(200);
  });

  it('tells the bootstrap admin that it cannot claim a ticket, and lets it assign one', async () => {
    const { ticketId } = (await call('POST', '/v1/tickets', { body: ticket('bootstrapclaim') })).body;
    const before = await head();
    const claim = await call('POST', `/v1/tickets/${ticketId}/assign`, { token: ADMIN_TOKEN });
    expect(claim.status).toBe(422);
    expect(claim.body.detail).toMatch(/bootstrap admin token cannot hold tickets/);
    expect(claim.body.errors).toEqual([{ field: 'assignee', message: 'assignee must name a staff id to assign to' }]);
    expect(await head()).toBe(before);
    const staff = (await call('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name: 'Claimable', role: 'agent' } })).body;
    const assigned = await call('POST', `/v1/tickets/${ticketId}/assign`, { token: ADMIN_TOKEN, body: { assignee: staff.id } });
    expect(assigned.status).toBe(200);
    const view = await call('GET', `/v1/tickets/${ticketId}?minPosition=${assigned.body.position}`, { token: agent });
    expect(view.body.assignee).toBe(staff.id);
    // Assigning by name takes a held ticket over, unlike a claim: deliberately, by anyone who works tickets.
    const successor = (await call('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name: 'Successor', role: 'agent' } })).body;
    const takenOver = await call('POST', `/v1/tickets/${ticketId}/assign`, { token: agent, body: { assignee: successor.id } });
    expect(takenOver.status).toBe(200);
    expect((await call('GET', `/v1/tickets/${ticketId}?minPosition=${takenOver.body.position}`, { token: agent })).body.assignee).toBe(successor.id);
  });

  it('reads null in an optional field as the field left out: {"assignee": null} is a claim, which takes no held ticket', async () => {
    const { ticketId } = (await call('POST', '/v1/tickets', { body: ticket('nullclaim') })).body;
    const other = await createStaff(call, 'agent', 'Other');
    const held = await call('POST', `/v1/tickets/${ticketId}/assign`, { token: other });
    expect(held.status).toBe(200);
    const taken = await call('POST', `/v1/tickets/${ticketId}/assign`, { token: agent, body: { assignee: null } });
    expect(taken.status).toBe(409);
    expect(taken.body.type).toMatch(/already-assigned/);
    const claim = await call('POST', `/v1/tickets/${ticketId}/assign`, { token: ADMIN_TOKEN, body: { assignee: null } });
    expect(claim.status).toBe(422);
    expect(claim.body.detail).toMatch(/bootstrap admin token cannot hold tickets/);
    const view = await call('GET', `/v1/tickets/${ticketId}`, { token: agent });
    expect(view.body.revision).toBe(held.body.revision);
    // Left out, or null, the same way in every optional field: a webhook's types, an account's flags.
    const account = await call('PUT', '/v1/accounts/nullflags', { token: integrator, body: { primaryEmail: 'n@example.org', emails: [], packages: [], critical: null, frozen: null } });
    expect(account.body).toMatchObject({ critical: false, frozen: false });
  });

  it('answers an unknown ticket or route with 404', async () => {
    expect((await call('GET', '/v1/tickets/00000000-0000-0000-0000-000000000000', { token: agent })).status).toBe(404);
    expect((await call('POST', '/v1/tickets/00000000-0000-0000-0000-000000000000/notes', { token: agent, body: { body: 'x' } })).status).toBe(404);
    expect((await call('GET', '/v1/nothing-here', { token: agent })).status).toBe(404);
  });

  it('answers a known path asked with the wrong method with 405 and Allow, and changes nothing', async () => {
    const { ticketId } = (await call('POST', '/v1/tickets', { body: ticket('wrongmethod') })).body;
    const before = await head();
    const cases: Array<[string, string, string]> = [
      ['DELETE', `/v1/tickets/${ticketId}`, 'GET, HEAD'],
      ['GET', `/v1/tickets/${ticketId}/notes`, 'POST'],
      ['PATCH', '/v1/accounts/zoe?x=1', 'GET, HEAD, PUT, DELETE'],
      ['PUT', '/v1/tickets', 'GET, HEAD, POST'],
    ];
    for (const [method, path, allow] of cases) {
      const answer = await call(method, path, { token: agent });
      expect({ method, path, status: answer.status, allow: answer.headers.get('allow'), type: answer.headers.get('content-type') }).toEqual({
        method, path, status: 405, allow, type: expect.stringContaining('application/problem+json'),
      });
      expect(answer.body).toMatchObject({ status: 405, title: 'Method Not Allowed', detail: expect.stringContaining(allow) });
    }
    expect(await head()).toBe(before);
  });

  it('answers a path that cannot be routed with a problem naming the path, without echoing it, and logs it', async () => {
    const tooLong = await call('GET', `/v1/tickets/${'a'.repeat(101)}`, { token: agent, headers: { 'x-request-id': 'unroutable-1' } });
    const badEncoding = await call('GET', '/v1/tickets/%E0%A4%A', { token: agent, headers: { 'x-request-id': 'unroutable-2' } });
    for (const [answer, status, title, id] of [[tooLong, 414, 'URI Too Long', 'unroutable-1'], [badEncoding, 400, 'Bad Request', 'unroutable-2']] as const) {
      expect([answer.status, answer.body.title]).toEqual([status, title]);
      expect(answer.headers.get('content-type')).toContain('application/problem+json');
      expect(answer.headers.get('x-request-id')).toBe(id);
      expect(answer.body).toMatchObject({ status, errors: [{ field: 'path' }] });
      expect(JSON.stringify(answer.body)).not.toMatch(/aaaa|%E0/);
      const logged = () => server.logs.some((line) => line.includes(`"requestId":"${id}"`) && line.includes(`"status":${status}`));
      expect(await eventually(logged, 5000)).toBe(true);
    }
  });
});

describe('submissions', () => {
  it('answer with the same status and shape whether or not the username exists, and whether or not the evidence was good', async () => {
    await call('PUT', '/v1/accounts/known', { token: integrator, body: { primaryEmail: 'k@example.org', emails: [], packages: [] } });
    await call('POST', '/v1/accounts/known/recovery-codes', { token: integrator });
    await call('POST', '/v1/accounts/known/totp', { token: integrator });
    const answers = [
      ticket('nobody-by-this-name'),
      ticket('known'),
      { ...ticket('known'), recoveryCode: 'ffffffffffffffff' },
      { ...ticket('known'), totpCode: '000000' },
      { ...ticket('nobody-by-this-name'), recoveryCode: 'ffffffffffffffff', totpCode: '000000' },
    ];
    for (const body of answers) {
      const answer = await call('POST', '/v1/tickets', { body });
      expect(answer.status).toBe(201);
      expect(answer.body).toEqual({ ticketId: expect.any(String), ticketNumber: expect.any(Number), state: 'submitted', accessToken: expect.stringMatching(/^rqt_/), revision: '0', position: expect.stringMatching(/^\d+$/) });
      // The requester's own view tells no more: no account, no evidence, no link to another ticket.
      const mine = (await call('GET', `/v1/tickets/${answer.body.ticketId}?minPosition=${answer.body.position}`, { token: answer.body.accessToken })).body;
      expect(Object.keys(mine).sort()).toEqual(['messages', 'queuePosition', 'reason', 'revision', 'state', 'submittedAt', 'ticketId', 'ticketNumber', 'updatedAt']);
    }
  });

  it("are shown to staff as the contract's staff view, with none of the read model's own keeping (its decider state, the requester's revision)", async () => {
    const { ticketId, position } = (await call('POST', '/v1/tickets', { body: ticket('staffkeys') })).body;
    const view = (await call('GET', `/v1/tickets/${ticketId}?minPosition=${position}`, { token: agent })).body;
    expect(Object.keys(view).sort()).toEqual([
      'accountKnown', 'approvals', 'contactEmail', 'duplicateCount', 'duplicates', 'evidence', 'explanation', 'messages', 'notes', 'overdue', 'overdueAt', 'packages',
      'position', 'previousEmails', 'priority', 'reason', 'revision', 'state', 'submittedAt', 'ticketId', 'ticketNumber', 'updatedAt', 'username',
    ]);
  });

  it("show staff which of the request's addresses and packages the account's record holds, entry by entry", async () => {
    await call('PUT', '/v1/accounts/onfile', { token: integrator, body: { primaryEmail: 'Zoe@Example.org', emails: ['zoe@old.example.org'], packages: ['left-pad', '@zoe/tools'] } });
    const filed = (
      await call('POST', '/v1/tickets', {
        body: { ...ticket('onfile'), contactEmail: 'zoe@example.org', previousEmails: ['ZOE@old.example.org', 'z\u043ee@old.example.org'], packages: ['is-odd', '@zoe/tools'] },
      })
    ).body;
    const view = (await call('GET', `/v1/tickets/${filed.ticketId}?minPosition=${filed.position}`, { token: agent })).body;
    // The second previous address has a Cyrillic "о": it looks like the record's, and is not.
    expect(view.onFile).toEqual({ contactEmail: true, previousEmails: [true, false], packages: [false, true] });
    // As the record stood at filing: a later change of the record changes no ticket.
    await call('PUT', '/v1/accounts/onfile', { token: integrator, body: { primaryEmail: 'new@example.org', emails: [], packages: [] } });
    const later = (await call('POST', '/v1/tickets', { body: { ...ticket('onfile'), contactEmail: 'zoe@example.org' } })).body;
    expect((await call('GET', `/v1/tickets/${later.ticketId}?minPosition=${later.position}`, { token: agent })).body.onFile).toEqual({ contactEmail: false, previousEmails: [], packages: [] });
    expect((await call('GET', `/v1/tickets/${filed.ticketId}`, { token: agent })).body.onFile.contactEmail).toBe(true);
    // An account the directory does not hold has no record to compare with.
    const unknown = (await call('POST', '/v1/tickets', { body: ticket('not-on-file') })).body;
    expect((await call('GET', `/v1/tickets/${unknown.ticketId}?minPosition=${unknown.position}`, { token: agent })).body).not.toHaveProperty('onFile');
  });
});

describe('removing an account', () => {
  it('takes it out of the directory: its codes and TOTP secret stop working, its open tickets are rejected, its history stays, and the username registers afresh', async () => {
    await call('PUT', '/v1/accounts/leaving', { token: integrator, body: { primaryEmail: 'l@example.org', emails: [], packages: [] } });
    const [code] = (await call('POST', '/v1/accounts/leaving/recovery-codes', { token: integrator })).body.codes;
    await call('POST', '/v1/accounts/leaving/totp', { token: integrator });
    // Two tickets filed before: one still open, one decided already.
    const open = (await call('POST', '/v1/tickets', { body: ticket('leaving') })).body;
    await call('POST', `/v1/tickets/${open.ticketId}/request-info`, { token: agent, body: { question: 'Which phone?' } });
    const decided = (await call('POST', '/v1/tickets', { body: ticket('leaving') })).body;
    const rejection = await call('POST', `/v1/tickets/${decided.ticketId}/reject`, { token: agent, body: { reason: 'duplicate', note: 'filed twice' } });
    await call('GET', `/v1/tickets/${decided.ticketId}?minPosition=${rejection.body.position}`, { token: agent });

    expect((await call('DELETE', '/v1/accounts/leaving', { token: agent })).status).toBe(403);
    const removed = await call('DELETE', '/v1/accounts/leaving', { token: integrator });
    expect([removed.status, removed.body]).toEqual([200, { username: 'leaving', removed: true, ticketsRejected: 1, position: expect.stringMatching(/^\d+$/) }]);
    expect((await call('GET', `/v1/accounts/leaving?minPosition=${removed.body.position}`, { token: agent })).status).toBe(404);
    const closed = (await call('GET', `/v1/tickets/${open.ticketId}`, { token: agent })).body;
    expect(closed).toMatchObject({ state: 'rejected', decision: expect.objectContaining({ reason: 'other' }) });
    expect((await call('GET', `/v1/tickets/${decided.ticketId}`, { token: agent })).body.decision).toMatchObject({ reason: 'duplicate' });
    // Asked again (an answer that was lost): nothing more to record; an account never fed is not found.
    expect((await call('DELETE', '/v1/accounts/leaving', { token: integrator })).body).toMatchObject({ removed: true, ticketsRejected: 0 });
    expect((await call('DELETE', '/v1/accounts/never-there', { token: integrator })).status).toBe(404);
    // Its history stays, with who removed it.
    const history = (await call('GET', '/v1/accounts/leaving/history', { token: agent })).body.events;
    expect(history.filter((event: { type: string }) => event.type === 'AccountRemoved')).toEqual([expect.objectContaining({ actor: expect.objectContaining({ kind: 'integrator' }), data: { username: 'leaving' } })]);
    // A ticket filed meanwhile is for an account the directory does not hold; the code opens nothing.
    const meanwhile = (await call('POST', '/v1/tickets', { body: { ...ticket('leaving'), recoveryCode: code } })).body;
    const view = (await call('GET', `/v1/tickets/${meanwhile.ticketId}?minPosition=${meanwhile.position}`, { token: agent })).body;
    expect(view).toMatchObject({ state: 'submitted', accountKnown: false, evidence: [expect.objectContaining({ kind: 'recovery-code', outcome: 'rejected' })] });
    // The username given to someone else: a new account, and the code of the one before still opens nothing.
    const again = await call('PUT', '/v1/accounts/leaving', { token: integrator, body: { primaryEmail: 'new@example.org', emails: [], packages: [] } });
    expect(again.status).toBe(201);
    expect((await call('GET', `/v1/accounts/leaving?minPosition=${again.body.position}`, { token: agent })).body).toMatchObject({ recoveryCodesRemaining: 0, totpEnrolled: false });
    const later = (await call('POST', '/v1/tickets', { body: { ...ticket('leaving'), recoveryCode: code } })).body;
    expect((await call('GET', `/v1/tickets/${later.ticketId}?minPosition=${later.position}`, { token: agent })).body).toMatchObject({ state: 'submitted', accountKnown: true });
  });
});

describe('the list of accounts', () => {
  it('pages through the directory in username order, for those who feed it, without the accounts removed', async () => {
    for (const name of ['list-c', 'list-a', 'list-b', 'list-d']) {
      await call('PUT', `/v1/accounts/${name}`, { token: integrator, body: { primaryEmail: `${name}@example.org`, emails: [], packages: [] } });
    }
    await call('POST', '/v1/accounts/list-a/recovery-codes', { token: integrator });
    const removed = await call('DELETE', '/v1/accounts/list-c', { token: integrator });
    await call('GET', `/v1/accounts/list-a?minPosition=${removed.body.position}`, { token: integrator });
    const seen: Array<{ username: string; recoveryCodesRemaining: number }> = [];
    let after = '';
    do {
      const page = await call('GET', `/v1/accounts?limit=2${after && `&after=${after}`}`, { token: integrator });
      expect([page.status, page.body.items.length <= 2]).toEqual([200, true]);
      seen.push(...page.body.items);
      after = page.body.next ?? '';
    } while (after);
    const names = seen.map(({ username }) => username);
    expect(names).toEqual([...names].sort());
    // Other tests' accounts are listed too.
    const listed = seen.filter(({ username }) => username.startsWith('list-'));
    expect(listed.map(({ username }) => username)).toEqual(['list-a', 'list-b', 'list-d']);
    expect(listed[0]).toEqual((await call('GET', '/v1/accounts/list-a', { token: agent })).body);
    expect(listed[0]!.recoveryCodesRemaining).toBe(8);
    // A cursor that no page gave, and a page size out of range, are refused, naming the parameter.
    for (const [query, field] of [['after=bm90IGEgY3Vyc29y', 'after'], ['after=czEy', 'after'], ['limit=0', 'limit'], ['limit=201', 'limit']]) {
      const refused = await call('GET', `/v1/accounts?${query}`, { token: integrator });
      expect([refused.status, refused.body.errors?.[0]?.field]).toEqual([400, field]);
    }
  });
});

describe('the list of accounts, narrowed', () => {
  it('lists the critical accounts alone, or the frozen ones, or those that are neither, in username order, paged', async () => {
    const flags: Array<[string, { critical?: boolean; frozen?: boolean }]> = [
      ['flag-a', { critical: true }],
      ['flag-b', {}],
      ['flag-c', { critical: true, frozen: true }],
      ['flag-d', { frozen: true }],
      ['flag-e', { critical: true }],
    ];
    let position = '0';
    for (const [name, flagged] of flags) {
      position = (await call('PUT', `/v1/accounts/${name}`, { token: integrator, body: { primaryEmail: `${name}@example.org`, emails: [], packages: [], ...flagged } })).body.position;
    }
    // Made critical, then no longer: listed by what it is now.
    await call('PUT', '/v1/accounts/flag-b', { token: integrator, body: { primaryEmail: 'flag-b@example.org', emails: [], packages: [], critical: true } });
    position = (await call('PUT', '/v1/accounts/flag-b', { token: integrator, body: { primaryEmail: 'flag-b@example.org', emails: [], packages: [] } })).body.position;
    const listed = async (query: string) => {
      const names: string[] = [];
      let after = '';
      do {
        const page = await call('GET', `/v1/accounts?${query}&limit=1&minPosition=${position}${after && `&after=${after}`}`, { token: integrator });
        expect([page.status, page.body.items.length <= 1]).toEqual([200, true]);
        names.push(...page.body.items.map(({ username }: { username: string }) => username));
        after = page.body.next ?? '';
      } while (after);
      // Other tests' accounts are listed too.
      return names.filter((name) => name.startsWith('flag-'));
    };
    expect(await listed('critical=true')).toEqual(['flag-a', 'flag-c', 'flag-e']);
    expect(await listed('frozen=true')).toEqual(['flag-c', 'flag-d']);
    expect(await listed('critical=true&frozen=false')).toEqual(['flag-a', 'flag-e']);
    expect(await listed('critical=false&frozen=false')).toEqual(['flag-b']);
    const one = (await call('GET', `/v1/accounts?critical=true&frozen=true&minPosition=${position}`, { token: integrator })).body.items;
    expect(one.find(({ username }: { username: string }) => username === 'flag-c')).toEqual((await call('GET', '/v1/accounts/flag-c', { token: agent })).body);
    for (const query of ['critical=yes', 'critical=', 'frozen=1']) {
      const refused = await call('GET', `/v1/accounts?${query}`, { token: integrator });
      expect([query, refused.status, refused.body.errors]).toEqual([query, 400, [{ field: query.split('=')[0], message: `${query.split('=')[0]} must be true or false` }]]);
    }
  });
});

describe('accounts fed in a batch', () => {
  const account = (username: string, more = {}) => ({ username, primaryEmail: `${username}@example.org`, emails: [], packages: ['left-pad'], ...more });
  const eventsInLog = async () => (await call('GET', '/v1/audit/verify', { token: ADMIN_TOKEN })).body.events as number;

  it('registers and updates many accounts at once, each as a PUT would, and says how each fared', async () => {
    const { username: _, ...profile } = account('batch-kept');
    expect((await call('PUT', '/v1/accounts/batch-kept', { token: integrator, body: profile })).status).toBe(201);
    expect((await call('PUT', '/v1/accounts/batch-moved', { token: integrator, body: { ...profile, primaryEmail: 'batch-moved@example.org' } })).status).toBe(201);
    const accounts = [account('batch-new', { critical: true }), account('batch-kept'), account('batch-moved', { primaryEmail: 'moved@example.org', frozen: true })];
    const key = { 'idempotency-key': 'batch-1' };
    const answer = await call('POST', '/v1/accounts/batch', { token: integrator, body: { accounts }, headers: key });
    expect([answer.status, answer.body.accounts.map(({ username, status }: { username: string; status: string }) => [username, status])]).toEqual([
      200,
      [['batch-new', 'created'], ['batch-kept', 'unchanged'], ['batch-moved', 'updated']],
    ]);
    const read = async (username: string) => (await call('GET', `/v1/accounts/${username}?minPosition=${answer.body.position}`, { token: agent })).body;
    expect(await read('batch-new')).toMatchObject({ primaryEmail: 'batch-new@example.org', packages: ['left-pad'], critical: true, frozen: false });
    expect(await read('batch-moved')).toMatchObject({ primaryEmail: 'moved@example.org', critical: false, frozen: true });
    const history = (await call('GET', '/v1/accounts/batch-moved/history', { token: integrator })).body.events as Array<{ type: string; actor: { kind: string } }>;
    expect(history.map(({ type }) => type)).toEqual(['AccountRegistered', 'AccountUpdated']);

    // Sent again, with its key or without: each account is as it was, and nothing more is recorded.
    const logged = await eventsInLog();
    expect((await call('POST', '/v1/accounts/batch', { token: integrator, body: { accounts }, headers: key })).body).toEqual(answer.body);
    const again = await call('POST', '/v1/accounts/batch', { token: integrator, body: { accounts } });
    expect(again.body.accounts.map(({ status }: { status: string }) => status)).toEqual(['unchanged', 'unchanged', 'unchanged']);
    expect(await eventsInLog()).toBe(logged);
    expect((await call('POST', '/v1/accounts/batch', { token: agent, body: { accounts } })).status).toBe(403);
  });

  it('refuses the whole batch for one bad entry, naming it, and writes none of it', async () => {
    const logged = await eventsInLog();
    const many = Array.from({ length: 501 }, (_, i) => ({ username: `m${i}`, primaryEmail: 'm@example.org', emails: [], packages: [] }));
    for (const [accounts, errors] of [
      [[account('batch-bad-1'), account('batch-bad-2', { primaryEmail: 'not an address' })], [{ field: 'accounts.1.primaryEmail', message: expect.stringContaining('accounts.1.primaryEmail') }]],
      [[account('batch-bad-1'), account('-bad')], [{ field: 'accounts.1.username', message: expect.stringContaining('accounts.1.username') }]],
      [[account('batch-bad-1', { emails: ['a@example.org', 'A@example.org'] })], [{ field: 'accounts.0.emails', message: expect.stringContaining('twice') }]],
      [[account('batch-bad-1', { extra: 1 })], [{ field: 'accounts.0.extra', message: 'accounts.0.extra is not a known field' }]],
      [[account('batch-bad-1'), account('batch-bad-1')], [{ field: 'accounts', message: 'accounts must not list a username twice' }]],
      [[account('batch-bad-1'), 'batch-bad-2'], [{ field: 'accounts.1', message: expect.stringContaining('accounts.1') }]],
      [[], [{ field: 'accounts', message: 'accounts must list at least one account' }]],
      [many, [{ field: 'accounts', message: 'accounts must list at most 500 accounts' }]],
      [undefined, [{ field: 'accounts', message: 'accounts is required' }]],
    ] as const) {
      const refused = await call('POST', '/v1/accounts/batch', { token: integrator, body: { accounts } });
      expect([String(JSON.stringify(accounts)).slice(0, 80), refused.status, refused.body.errors]).toEqual([String(JSON.stringify(accounts)).slice(0, 80), 400, errors]);
    }
    expect((await call('GET', '/v1/accounts/batch-bad-1', { token: agent })).status).toBe(404);
    expect(await eventsInLog()).toBe(logged);
  });
});

describe('notes on decided tickets', () => {
  it('are taken: the ticket stays decided, the requester sees nothing of them', async () => {
    const filed = (await call('POST', '/v1/tickets', { body: ticket('decided-notes') })).body;
    const rejected = (await call('POST', `/v1/tickets/${filed.ticketId}/reject`, { token: agent, body: { reason: 'suspected-fraud', note: 'address not on file' } })).body;
    const requesterBefore = (await call('GET', `/v1/tickets/${filed.ticketId}?minPosition=${rejected.position}`, { token: filed.accessToken })).body;
    const noted = await call('POST', `/v1/tickets/${filed.ticketId}/notes`, { token: agent, body: { body: 'The account holder called: it was not them.' } });
    expect([noted.status, noted.body.state]).toEqual([200, 'rejected']);
    const view = (await call('GET', `/v1/tickets/${filed.ticketId}?minPosition=${noted.body.position}`, { token: agent })).body;
    expect(view).toMatchObject({ state: 'rejected', decision: expect.objectContaining({ reason: 'suspected-fraud' }), notes: [expect.objectContaining({ body: 'The account holder called: it was not them.' })] });
    expect((await call('GET', `/v1/tickets/${filed.ticketId}`, { token: filed.accessToken })).body).toEqual(requesterBefore);
    // Still final: nothing else is taken.
    expect((await call('POST', `/v1/tickets/${filed.ticketId}/request-info`, { token: agent, body: { question: '?' } })).status).toBe(409);
  });
});

describe('headers', () => {
  it('forbids caching answers, which hold personal data and secrets shown once, and content sniffing', async () => {
    const submitted = await call('POST', '/v1/tickets', { body: ticket('nocache') });
    const refused = await call('POST', '/v1/tickets', { body: {} });
    const view = await call('GET', `/v1/tickets/${submitted.body.ticketId}`, { token: submitted.body.accessToken });
    const unroutable = await call('GET', '/v1/tickets/%E0%A4%A');
    for (const answer of [submitted, refused, view, unroutable]) {
      expect([answer.headers.get('cache-control'), answer.headers.get('x-content-type-options')]).toEqual(['no-store', 'nosniff']);
    }
  });
});

describe('calls from web pages on other origins (CORS)', () => {
  const page = 'https://help.example.com';
  const preflight = (url: string, origin: string, method = 'POST') =>
    fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': 'authorization,content-type,idempotency-key,if-match' } });

  it('are let in only from the origins RECLAIM_CORS_ORIGINS names, for every request a client of the API sends, refusals included', async () => {
    await withServer({ RECLAIM_CORS_ORIGINS: `${page},http://localhost:8080` }, async (own) => {
      const asked = await preflight(`${own.url}/v1/tickets`, page);
      expect(asked.status).toBe(204);
      expect(asked.headers.get('access-control-allow-origin')).toBe(page);
      expect(asked.headers.get('access-control-allow-methods')).toBe('GET, HEAD, POST, PUT, DELETE');
      expect(asked.headers.get('access-control-allow-headers')?.toLowerCase().split(', ')).toEqual(expect.arrayContaining(['authorization', 'content-type', 'idempotency-key', 'if-match']));
      expect(asked.headers.get('access-control-allow-credentials')).toBeNull();
      expect((await preflight(`${own.url}/v1/tickets/x/notes`, 'http://localhost:8080')).headers.get('access-control-allow-origin')).toBe('http://localhost:8080');
      // Another origin is told nothing that lets its page in.
      expect((await preflight(`${own.url}/v1/tickets`, 'https://elsewhere.example')).headers.get('access-control-allow-origin')).toBeNull();
      // An OPTIONS without a preflight's headers is answered as one too, not refused in plain text.
      const bare = await fetch(`${own.url}/v1/tickets`, { method: 'OPTIONS' });
      expect([bare.status, bare.headers.get('content-type')]).toEqual([204, null]);

      // The requests that follow: what the page may read of the answer, a refusal's problem included.
      const ownCall = client(own.url);
      const submitted = await ownCall('POST', '/v1/tickets', { body: ticket('cors'), headers: { origin: page } });
      expect(submitted.status).toBe(201);
      expect(submitted.headers.get('access-control-allow-origin')).toBe(page);
      expect(submitted.headers.get('access-control-expose-headers')?.split(', ')).toEqual(expect.arrayContaining(['Location', 'Retry-After', 'ETag', 'X-Request-Id']));
      const refused = await ownCall('POST', '/v1/tickets', { body: {}, headers: { origin: page } });
      expect([refused.status, refused.headers.get('access-control-allow-origin')]).toEqual([400, page]);
      const unknownToken = await ownCall('GET', `/v1/tickets/${submitted.body.ticketId}`, { token: 'rqt_unknown', headers: { origin: page } });
      expect([unknownToken.status, unknownToken.headers.get('access-control-allow-origin')]).toEqual([401, page]);
      const fromElsewhere = await ownCall('GET', `/v1/tickets/${submitted.body.ticketId}`, { token: submitted.body.accessToken, headers: { origin: 'https://elsewhere.example' } });
      expect(fromElsewhere.headers.get('access-control-allow-origin')).toBeNull();
      // The preflight's route answers OPTIONS on every path; a path no route has is still unknown.
      const unknownPath = await ownCall('GET', '/v1/nothing-here', { headers: { origin: page } });
      expect([unknownPath.status, unknownPath.headers.get('access-control-allow-origin')]).toEqual([404, page]);
      const wrongMethod = await ownCall('PATCH', '/v1/tickets', { headers: { origin: page } });
      expect([wrongMethod.status, wrongMethod.headers.get('allow')]).toEqual([405, 'GET, HEAD, POST, OPTIONS']);
    });
  }, 60000);

  it('are not let in without RECLAIM_CORS_ORIGINS: a preflight is refused as any method a path lacks', async () => {
    const asked = await preflight(`${server.url}/v1/tickets`, page);
    expect(asked.status).toBe(405);
    expect(asked.headers.get('access-control-allow-origin')).toBeNull();
    const submitted = await call('POST', '/v1/tickets', { body: ticket('nocors'), headers: { origin: page } });
    expect([submitted.status, submitted.headers.get('access-control-allow-origin')]).toEqual([201, null]);
  });

  it('with RECLAIM_CORS_ORIGINS=*, from any origin', async () => {
    await withServer({ RECLAIM_CORS_ORIGINS: '*' }, async (own) => {
      const asked = await preflight(`${own.url}/v1/queues/submitted`, 'https://anywhere.example', 'GET');
      expect([asked.status, asked.headers.get('access-control-allow-origin')]).toEqual([204, '*']);
    });
  }, 60000);
});

describe('Location', () => {
  it('a 201 says where what it made is read, also when an Idempotency-Key sends the answer again', async () => {
    const key = { 'idempotency-key': `located-${Date.now()}` };
    const submitted = await call('POST', '/v1/tickets', { body: ticket('located'), headers: key });
    const again = await call('POST', '/v1/tickets', { body: ticket('located'), headers: key });
    const location = `/v1/tickets/${submitted.body.ticketId}`;
    expect([submitted.headers.get('location'), again.headers.get('location'), again.headers.get('idempotent-replayed')]).toEqual([location, location, 'true']);
    const read = await call('GET', `${location}?minPosition=${submitted.body.position}`, { token: submitted.body.accessToken });
    expect([read.status, read.body.ticketId]).toEqual([200, submitted.body.ticketId]);

    const staff = await call('POST', '/v1/staff', { token: ADMIN_TOKEN, body: { name: 'Loc', role: 'agent' } });
    expect(staff.headers.get('location')).toBe(`/v1/staff/${staff.body.id}`);
    expect((await call('GET', `${staff.headers.get('location')}?minPosition=${staff.body.position}`, { token: ADMIN_TOKEN })).body.name).toBe('Loc');
    // A webhook's (made on a server that takes local addresses) is in integrations.spec.
    // A refusal, and a 201 that makes nothing with an address of its own, say no Location.
    const refused = await call('POST', '/v1/tickets', { body: {} });
    await call('PUT', '/v1/accounts/located', { token: integrator, body: { primaryEmail: 'located@example.org', emails: [], packages: [] } });
    const codes = await call('POST', '/v1/accounts/located/recovery-codes', { token: integrator });
    expect([refused.status, refused.headers.get('location'), codes.status, codes.headers.get('location')]).toEqual([400, null, 201, null]);
  });
});

describe('Idempotency-Key', () => {
  it('answers a repeat with the first answer, applied once; another body with the same key is 422', async () => {
    const key = { 'idempotency-key': `submit-${Date.now()}` };
    const first = await call('POST', '/v1/tickets', { body: ticket('idem'), headers: key });
    const afterFirst = await head();
    const again = await call('POST', '/v1/tickets', { body: ticket('idem'), headers: key });
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await head()).toBe(afterFirst);
    const other = await call('POST', '/v1/tickets', { body: ticket('idem2'), headers: key });
    expect(other.status).toBe(422);
    expect(other.body).toMatchObject({ type: 'https://reclaim.dev/problems/idempotency-key-reused', errors: [{ field: 'Idempotency-Key' }] });
    expect(await head()).toBe(afterFirst);
  });

  it('belongs, for the public, to the client address (an IPv6 one by its /64): the same key from another address is a submission of its own', async () => {
    await withServer({ RECLAIM_TRUSTED_PROXIES: 'loopback' }, async (proxied) => {
      const proxiedCall = client(proxied.url);
      const submit = (name: string, address: string) =>
        proxiedCall('POST', '/v1/tickets', { body: ticket(name), headers: { 'idempotency-key': 'my-first-ticket', 'x-forwarded-for': address } });
      const first = await submit('samebody', '203.0.113.20');
      // The same body and key from another person: not the first's answer, whose token opens the first's ticket.
      const someoneElse = await submit('samebody', '203.0.113.21');
      expect([first.status, someoneElse.status]).toEqual([201, 201]);
      expect(someoneElse.headers.get('idempotent-replayed')).toBeNull();
      expect(someoneElse.body.ticketId).not.toBe(first.body.ticketId);
      expect(someoneElse.body.accessToken).not.toBe(first.body.accessToken);
      // Nor is another body with that key refused for someone else; the first's own retry replays.
      expect((await submit('otherbody', '203.0.113.22')).status).toBe(201);
      const retried = await submit('samebody', '203.0.113.20');
      expect(retried.headers.get('idempotent-replayed')).toBe('true');
      expect(retried.body).toEqual(first.body);
      // An IPv6 client by its /64: a retry from its next temporary address is the same client's.
      const fromV6 = await submit('samebody', '2001:db8:0:9::1');
      const fromNextAddress = await submit('samebody', '2001:db8:0:9:8f2e:13::77');
      expect([fromNextAddress.headers.get('idempotent-replayed'), fromNextAddress.body]).toEqual(['true', fromV6.body]);
      expect((await submit('samebody', '2001:db8:0:a::1')).body.ticketId).not.toBe(fromV6.body.ticketId);
    });
  }, 60000);

  it('is taken on POST only: a PUT is idempotent by itself, and one with a key already used sets what it says', async () => {
    const key = { 'idempotency-key': `put-${Date.now()}` };
    const account = (primaryEmail: string) => ({ token: ADMIN_TOKEN, body: { primaryEmail, emails: [], packages: [] }, headers: key });
    expect((await call('PUT', '/v1/accounts/idem-put', account('first@example.org'))).status).toBe(201);
    const second = await call('PUT', '/v1/accounts/idem-put', account('second@example.org'));
    expect([second.status, second.headers.get('idempotent-replayed')]).toEqual([200, null]);
    expect((await call('GET', `/v1/accounts/idem-put?minPosition=${second.body.position}`, { token: ADMIN_TOKEN })).body.primaryEmail).toBe('second@example.org');
  });

  it('keeps nothing for the key of a refused request: the key then takes another body', async () => {
    const key = { 'idempotency-key': `refused-${Date.now()}` };
    const refused = await call('POST', '/v1/tickets', { body: { ...ticket('refused'), reason: 'nope' }, headers: key });
    expect(refused.status).toBe(400);
    const applied = await call('POST', '/v1/tickets', { body: ticket('refused'), headers: key });
    expect(applied.status).toBe(201);
  });

  it('answers an applied command even when its answer cannot be kept, and applies a retry once', async () => {
    const { ticketId } = (await call('POST', '/v1/tickets', { body: ticket('unkept') })).body;
    // Another connection to the server's file makes keeping answers fail, as a full disk would.
    const file = new Database(join(server.dataDir, 'reclaim.sqlite'));
    file.exec(`CREATE TRIGGER refuse_answers BEFORE INSERT ON idempotency_keys BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END`);
    try {
      const key = { 'idempotency-key': 'unkept-note' };
      const first = await call('POST', `/v1/tickets/${ticketId}/notes`, { token: agent, body: { body: 'kept once' }, headers: key });
      expect(first.status).toBe(200);
      const again = await call('POST', `/v1/tickets/${ticketId}/notes`, { token: agent, body: { body: 'kept once' }, headers: key });
      expect(again.status).toBe(200);
      const history = await call('GET', `/v1/tickets/${ticketId}/history`, { token: agent });
      expect(history.body.events.filter((e: { type: string }) => e.type === 'NoteAdded')).toHaveLength(1);
      expect(await eventually(() => server.logs.some((line) => line.includes('could not be kept')), 5000)).toBe(true);
    } finally {
      file.exec('DROP TRIGGER refuse_answers');
      file.close();
    }
  });

  it('answers an unexpected fault with a 500 that says nothing of it, logs it with the request id, and keeps the key free for a retry', async () => {
    const { ticketId } = (await call('POST', '/v1/tickets', { body: ticket('fault') })).body;
    // Another connection to the server's file makes every append fail in a way nothing expects.
    const file = new Database(join(server.dataDir, 'reclaim.sqlite'));
    file.exec(`CREATE TRIGGER refuse_events BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'simulated fault 7f3a'); END`);
    const request = { token: agent, body: { body: 'after the fault' }, headers: { 'idempotency-key': 'fault-note', 'x-request-id': 'unexpected-1' } };
    try {
      const failed = await call('POST', `/v1/tickets/${ticketId}/notes`, request);
      expect(failed.status).toBe(500);
      expect(failed.headers.get('content-type')).toContain('application/problem+json');
      expect(JSON.stringify(failed.body)).not.toContain('simulated');
      const logged = () => server.logs.some((line) => line.includes('"requestId":"unexpected-1"') && line.includes('simulated fault 7f3a'));
      expect(await eventually(logged, 5000)).toBe(true);
    } finally {
      file.exec('DROP TRIGGER refuse_events');
      file.close();
    }
    const retried = await call('POST', `/v1/tickets/${ticketId}/notes`, request);
    expect(retried.status).toBe(200);
    const history = await call('GET', `/v1/tickets/${ticketId}/history`, { token: agent });
    expect(history.body.events.filter((e: { type: string }) => e.type === 'NoteAdded')).toHaveLength(1);
  });

  it('answers a retry whose first try the client gave up on, with the first answer', async () => {
    // A code hashed at cost 13 takes the server a good part of a second to check: time to give up.
    const bcrypt = await import('bcrypt');
    const code = '0a1b2c3d4e5f6071';
    await call('PUT', '/v1/accounts/patient', { token: integrator, body: { primaryEmail: 'p@example.org', emails: [], packages: [] } });
    await call('POST', '/v1/accounts/patient/recovery-codes/import', { token: integrator, body: { hashes: [await bcrypt.hash(code, 13)] } });
    const body = JSON.stringify({ ...ticket('patient'), recoveryCode: code });
    const headers = { 'content-type': 'application/json', 'idempotency-key': 'given-up-1' };
    const gaveUp = new AbortController();
    const first = fetch(`${server.url}/v1/tickets`, { method: 'POST', headers: { ...headers, 'x-request-id': 'given-up-first' }, body, signal: gaveUp.signal })
      .catch((error: Error) => error.name);
    await new Promise((resolve) => setTimeout(resolve, 100));
    gaveUp.abort();
    expect(await first).toBe('AbortError');
    const retry = await fetch(`${server.url}/v1/tickets`, { method: 'POST', headers, body, signal: AbortSignal.timeout(10_000) });
    expect(retry.status).toBe(201);
    expect(retry.headers.get('idempotent-replayed')).toBe('true');
    const { ticketId } = (await retry.json()) as { ticketId: string };
    const history = await call('GET', `/v1/tickets/${ticketId}/history`, { token: agent });
    expect(history.body.events.filter((e: { type: string }) => e.type === 'TicketSubmitted')).toHaveLength(1);
    // The request the client gave up on has its log line too.
    const logged = () => server.logs.some((line) => line.includes('"requestId":"given-up-first"') && line.includes('"status":499'));
    expect(await eventually(logged, 5000)).toBe(true);
  });

  it('applies concurrent repeats once', async () => {
    const { ticketId } = (await call('POST', '/v1/tickets', { body: ticket('concurrent') })).body;
    const key = { 'idempotency-key': 'note-once' };
    const answers = await Promise.all(Array.from({ length: 5 }, () => call('POST', `/v1/tickets/${ticketId}/notes`, { token: agent, body: { body: 'once' }, headers: key })));
    expect(new Set(answers.map((a) => JSON.stringify(a.body))).size).toBe(1);
    const history = await call('GET', `/v1/tickets/${ticketId}/history`, { token: agent });
    expect(history.body.events.filter((e: { type: string }) => e.type === 'NoteAdded')).toHaveLength(1);
  });

  it("scopes a key to its caller and its resource: another's request, or one on another ticket, is applied on its own", async () => {
    const tickets = await Promise.all(['scope-a', 'scope-b'].map(async (name) => (await call('POST', '/v1/tickets', { body: ticket(name) })).body.ticketId as string));
    const otherAgent = await createStaff(call, 'agent', 'Bo');
    const key = { 'idempotency-key': 'same-key' };
    const note = (token: string, ticketId: string) => call('POST', `/v1/tickets/${ticketId}/notes`, { token, body: { body: 'checked' }, headers: key });
    const answers = [await note(agent, tickets[0]!), await note(otherAgent, tickets[0]!), await note(agent, tickets[1]!)];
    expect(answers.map((answer) => [answer.status, answer.headers.get('idempotent-replayed')])).toEqual([[200, null], [200, null], [200, null]]);
    expect(new Set(answers.map((answer) => answer.body.position)).size).toBe(3);
    const authors = async (ticketId: string) =>
      (await call('GET', `/v1/tickets/${ticketId}?minPosition=${answers[2]!.body.position}`, { token: agent })).body.notes.map((n: { author: string }) => n.author);
    expect(new Set(await authors(tickets[0]!)).size).toBe(2);
    expect(await authors(tickets[1]!)).toHaveLength(1);
  });
});

describe('follow-ups', () => {
  it('wait for staff up to ten: past them a reply is refused (409) and recorded nowhere, until staff ask a question', async () => {
    const { ticketId, accessToken } = (await call('POST', '/v1/tickets', { body: ticket('chatty') })).body;
    const reply = (message: string) => call('POST', `/v1/tickets/${ticketId}/replies`, { token: accessToken, body: { message } });
    for (let i = 1; i <= 10; i++) expect((await reply(`news ${i}?`)).status).toBe(200);
    const refused = await reply('news 11?');
    expect(refused.status).toBe(409);
    expect(refused.body).toMatchObject({ type: 'https://reclaim.dev/problems/transition-not-allowed', detail: expect.stringContaining('the ticket is submitted: 10 follow-ups or refused codes already wait for staff') });
    const asked = await call('POST', `/v1/tickets/${ticketId}/request-info`, { token: agent, body: { question: 'Which phone?' } });
    const answered = await reply('the old one');
    const after = await reply('and another thing');
    expect([asked.status, answered.status, answered.body.state, after.status]).toEqual([200, 200, 'submitted', 200]);
    const messages = (await call('GET', `/v1/tickets/${ticketId}?minPosition=${after.body.position}`, { token: accessToken })).body.messages;
    expect(messages.map((m: { body: string }) => m.body)).not.toContain('news 11?');
    expect(messages).toHaveLength(13);
  });
});

describe('If-Match and read-your-writes', () => {
  it('a stale revision gives 412 and changes nothing', async () => {
    const { ticketId } = (await call('POST', '/v1/tickets', { body: ticket('ifmatch') })).body;
    const noted = await call('POST', `/v1/tickets/${ticketId}/notes`, { token: agent, body: { body: 'one' }, headers: { 'if-match': '0' } });
    expect(noted.status).toBe(200);
    const before = await head();
    const stale = await call('POST', `/v1/tickets/${ticketId}/notes`, { token: agent, body: { body: 'two' }, headers: { 'if-match': '"0"' } });
    expect(stale.status).toBe(412);
    expect(await head()).toBe(before);
    for (const malformed of ['soon', '"1', '1"', 'W/1']) {
      expect([malformed, (await call('POST', `/v1/tickets/${ticketId}/notes`, { token: agent, body: { body: 'x' }, headers: { 'if-match': malformed } })).status]).toEqual([malformed, 400]);
    }
    // A revision of many digits is a revision (stale here); one longer than any revision can be is not.
    expect((await call('POST', `/v1/tickets/${ticketId}/notes`, { token: agent, body: { body: 'x' }, headers: { 'if-match': '"123456789012345678"' } })).status).toBe(412);
    expect((await call('POST', `/v1/tickets/${ticketId}/notes`, { token: agent, body: { body: 'x' }, headers: { 'if-match': '"1234567890123456789"' } })).status).toBe(400);
    expect(await head()).toBe(before);
    // A weak tag, as a cache may send back the ETag, names the revision as well.
    const weak = await call('POST', `/v1/tickets/${ticketId}/notes`, { token: agent, body: { body: 'two' }, headers: { 'if-match': 'W/"1"' } });
    expect([weak.status, weak.body.revision]).toEqual([200, '2']);
    // `*` asks only that the ticket exists (RFC 9110).
    const any = await call('POST', `/v1/tickets/${ticketId}/notes`, { token: agent, body: { body: 'three' }, headers: { 'if-match': '*' } });
    expect([any.status, any.body.revision]).toEqual([200, '3']);
    const missing = await call('POST', '/v1/tickets/00000000-0000-0000-0000-000000000000/notes', { token: agent, body: { body: 'x' }, headers: { 'if-match': '*' } });
    expect(missing.status).toBe(404);
  });

  it('answers ?at= with the staff view as the log stood then, however the time is written, and refuses a time it would have to guess', async () => {
    const { ticketId } = (await call('POST', '/v1/tickets', { body: ticket('then') })).body;
    const asked = await call('POST', `/v1/tickets/${ticketId}/request-info`, { token: agent, body: { question: 'Which address?' } });
    const events = (await call('GET', `/v1/tickets/${ticketId}/history?minPosition=${asked.body.position}`, { token: agent })).body.events;
    const [submittedAt, askedAt] = events.map((event: { recordedAt: string }) => Date.parse(event.recordedAt));
    const at = async (time: string) => {
      const answer = await call('GET', `/v1/tickets/${ticketId}?at=${encodeURIComponent(time)}`, { token: agent });
      return answer.status === 200 ? [answer.body.state, answer.body.revision] : [answer.status, answer.body.errors ?? answer.body.detail];
    };
    // The same moment in UTC and an hour east of it.
    const utc = (ms: number) => new Date(ms).toISOString();
    const anHourEast = (ms: number) => new Date(ms + 3_600_000).toISOString().replace('Z', '+01:00');
    expect(await at(utc(submittedAt))).toEqual(['submitted', '0']);
    expect(await at(anHourEast(submittedAt))).toEqual(['submitted', '0']);
    if (askedAt! > submittedAt!) expect(await at(anHourEast(askedAt! - 1))).toEqual(['submitted', '0']);
    expect(await at(anHourEast(askedAt!))).toEqual(['awaiting-info', '1']);
    // RFC 3339 leaves the fraction's length open: nanoseconds, as other systems write them, too.
    expect(await at(utc(askedAt!).replace('Z', '000001Z'))).toEqual(['awaiting-info', '1']);
    // A date is its start, in UTC: before this ticket was filed.
    expect(await at('2026-01-01')).toEqual([404, 'The ticket did not exist at that time.']);
    // ISO-8601 forms read as an invalid date (which once showed the present), or a time in no
    // stated zone: refused, naming the field, where the answer would be a guess.
    for (const guess of ['2026-W01-1', '20260101T000000Z', '2026-01-01T00:00:00,5Z', '2026-01-01T00', '2026-01-01T00:00:00', '2026-02-30T00:00:00Z']) {
      expect([guess, ...(await at(guess))]).toEqual([guess, 400, [{ field: 'at', message: expect.stringContaining('at must be a time with its offset, such as 2026-11-27T14:00:00Z') }]]);
    }
  });

  it('If-None-Match with the current revision answers 304 to staff, and the whole view once it changed', async () => {
    const { ticketId, accessToken, position } = (await call('POST', '/v1/tickets', { body: ticket('ifnonematch') })).body;
    const first = await call('GET', `/v1/tickets/${ticketId}?minPosition=${position}`, { token: agent });
    const etag = first.headers.get('etag')!;
    expect(etag).toBe(`"${first.body.revision}"`);
    for (const sent of [etag, `W/${etag}`, `"99", ${etag}`, '*']) {
      const same = await call('GET', `/v1/tickets/${ticketId}`, { token: agent, headers: { 'if-none-match': sent } });
      expect([sent, same.status, same.body, same.headers.get('etag')]).toEqual([sent, 304, undefined, etag]);
    }
    const noted = await call('POST', `/v1/tickets/${ticketId}/notes`, { token: agent, body: { body: 'changed' } });
    const changed = await call('GET', `/v1/tickets/${ticketId}?minPosition=${noted.body.position}`, { token: agent, headers: { 'if-none-match': etag } });
    expect(changed.status).toBe(200);
    expect(changed.headers.get('etag')).toBe(`"${noted.body.revision}"`);
    expect(changed.body.notes).toEqual([expect.objectContaining({ body: 'changed' })]);
    // The requester's view also carries the place in the queue, which moves without a revision.
    const requester = await call('GET', `/v1/tickets/${ticketId}`, { token: accessToken, headers: { 'if-none-match': changed.headers.get('etag')! } });
    expect(requester.status).toBe(200);
    expect(requester.body).toMatchObject({ ticketId, queuePosition: expect.any(Number) });
  });

  it('If-None-Match answers the whole staff view once a later ticket is linked to it, which moves no revision', async () => {
    const original = (await call('POST', '/v1/tickets', { body: ticket('ifnonematch-duplicates') })).body;
    const first = await call('GET', `/v1/tickets/${original.ticketId}?minPosition=${original.position}`, { token: agent });
    const etag = first.headers.get('etag')!;
    expect([first.body.duplicates, (await call('GET', `/v1/tickets/${original.ticketId}`, { token: agent, headers: { 'if-none-match': etag } })).status]).toEqual([[], 304]);
    const later = (await call('POST', '/v1/tickets', { body: ticket('ifnonematch-duplicates') })).body;
    const linked = await call('GET', `/v1/tickets/${original.ticketId}?minPosition=${later.position}`, { token: agent, headers: { 'if-none-match': etag } });
    expect([linked.status, linked.headers.get('etag'), linked.body.duplicates]).toEqual([200, etag, [later.ticketId]]);
  });

  it('?minPosition= waits for the read models, or answers 503', async () => {
    const { ticketId, position } = (await call('POST', '/v1/tickets', { body: ticket('ryw') })).body;
    const read = await call('GET', `/v1/tickets/${ticketId}?minPosition=${position}`, { token: agent });
    expect(read.status).toBe(200);
    const future = await call('GET', `/v1/queues/submitted?minPosition=${BigInt(position) + 1_000_000n}`, { token: agent });
    expect(future.status).toBe(503);
    expect(future.headers.get('retry-after')).toBeDefined();
    expect((await call('GET', '/v1/queues/submitted?minPosition=abc', { token: agent })).status).toBe(400);
  }, 15000);
});

describe('queues over HTTP', () => {
  it('pages oldest first with an opaque cursor', async () => {
    const ids: string[] = [];
    let position = '0';
    for (let i = 0; i < 5; i++) ({ ticketId: ids[i], position } = (await call('POST', '/v1/tickets', { body: ticket(`queue${i}`) })).body);
    const seen: string[] = [];
    let path = `/v1/queues/submitted?limit=2&minPosition=${position}`;
    for (;;) {
      const page = await call('GET', path, { token: agent });
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((i: { ticketId: string }) => i.ticketId));
      if (!page.body.next) break;
      path = `/v1/queues/submitted?limit=2&after=${page.body.next}`;
    }
    expect(seen.filter((id) => ids.includes(id))).toEqual(ids);
    expect((await call('GET', '/v1/queues/submitted?after=garbage', { token: agent })).status).toBe(400);
    // 50 a page unless asked; at most 200.
    for (let i = 5; i < 51; i++) ({ position } = (await call('POST', '/v1/tickets', { body: ticket(`queue${i}`) })).body);
    const first = await call('GET', `/v1/queues/submitted?minPosition=${position}`, { token: agent });
    expect([first.body.items.length, typeof first.body.next]).toEqual([50, 'string']);
    expect((await call('GET', '/v1/queues/submitted?limit=200', { token: agent })).status).toBe(200);
    expect((await call('GET', '/v1/queues/submitted?limit=201', { token: agent })).body.errors).toEqual([{ field: 'limit', message: 'limit must not be greater than 200' }]);
    const stats = await call('GET', '/v1/queues', { token: agent });
    expect(stats.body.queues.find((q: { queue: string }) => q.queue === 'submitted').count).toBeGreaterThanOrEqual(5);
  });
});

describe('histories in pages', () => {
  it("pages a ticket's and an account's history with limit and after, and gives the whole history without them", async () => {
    const { ticketId } = (await call('POST', '/v1/tickets', { body: ticket('paged') })).body;
    for (const body of ['one', 'two', 'three', 'four']) await call('POST', `/v1/tickets/${ticketId}/notes`, { token: agent, body: { body } });
    const whole = (await call('GET', `/v1/tickets/${ticketId}/history`, { token: agent })).body;
    expect(whole.events.map((entry: { revision: string }) => entry.revision)).toEqual(['0', '1', '2', '3', '4']);
    expect(whole.next).toBeUndefined();
    const pages: unknown[][] = [];
    for (let path = `/v1/tickets/${ticketId}/history?limit=2`; ; ) {
      const page = await call('GET', path, { token: agent });
      expect(page.status).toBe(200);
      pages.push(page.body.events);
      if (!page.body.next) break;
      path = `/v1/tickets/${ticketId}/history?limit=2&after=${page.body.next}`;
    }
    expect(pages.map((page) => page.length)).toEqual([2, 2, 1]);
    expect(pages.flat()).toEqual(whole.events);

    await call('PUT', '/v1/accounts/paged', { token: integrator, body: { primaryEmail: 'p@example.org', emails: [], packages: [] } });
    await call('PUT', '/v1/accounts/paged', { token: integrator, body: { primaryEmail: 'p2@example.org', emails: [], packages: [] } });
    const first = (await call('GET', '/v1/accounts/paged/history?limit=1', { token: agent })).body;
    expect(first.events.map((entry: { data: { primaryEmail: string } }) => entry.data.primaryEmail)).toEqual(['p@example.org']);
    const rest = (await call('GET', `/v1/accounts/paged/history?after=${first.next}`, { token: agent })).body;
    expect(rest).toEqual({ events: [expect.objectContaining({ revision: '1', data: expect.objectContaining({ primaryEmail: 'p2@example.org' }) })] });

    const before = await head();
    await expectQueryRefusals([
      [`/v1/tickets/${ticketId}/history?limit=0`, 'limit', 'limit must not be less than 1'],
      [`/v1/tickets/${ticketId}/history?limit=1001`, 'limit', 'limit must not be greater than 1000'],
      [`/v1/tickets/${ticketId}/history?after=garbage`, 'after', 'after must be the next cursor of a previous page'],
      ['/v1/accounts/paged/history?limit=x', 'limit', 'limit must be a whole number'],
    ]);
    expect(await head()).toBe(before);
    expect((await call('GET', '/v1/tickets/00000000-0000-0000-0000-000000000000/history?limit=2', { token: agent })).status).toBe(404);
  });
});

describe('finding tickets', () => {
  it('finds the tickets filed under a username, oldest first, and the ticket with a number', async () => {
    const filed: Array<{ username: string; ticketId: string; ticketNumber: number; position: string }> = [];
    for (const username of ['finder', 'other-finder', 'finder', 'Finder', 'finder']) filed.push({ username, ...(await call('POST', '/v1/tickets', { body: ticket(username) })).body });
    const position = filed[filed.length - 1]!.position;
    const pages: Array<{ items: Array<{ ticketId: string; ticketNumber: number; username: string; state: string; reason: string }>; next?: string }> = [];
    let path = `/v1/tickets?username=finder&limit=2&minPosition=${position}`;
    for (;;) {
      const page = await call('GET', path, { token: agent });
      expect(page.status).toBe(200);
      pages.push(page.body);
      if (!page.body.next) break;
      path = `/v1/tickets?username=finder&limit=2&after=${page.body.next}`;
    }
    // Usernames are compared exactly: "Finder" is another account's.
    const finders = filed.filter((t) => t.username === 'finder');
    expect(pages.map((page) => page.items.length)).toEqual([2, 1]);
    expect(pages.flatMap((page) => page.items)).toEqual(
      finders.map((t) => expect.objectContaining({ ticketId: t.ticketId, ticketNumber: t.ticketNumber, username: 'finder', state: 'submitted', reason: 'lost-email' })),
    );
    const other = filed[1]!;
    expect((await call('GET', `/v1/tickets?ticketNumber=${other.ticketNumber}`, { token: agent })).body).toEqual({
      items: [expect.objectContaining({ ticketId: other.ticketId, ticketNumber: other.ticketNumber, username: 'other-finder' })],
    });
    expect((await call('GET', `/v1/tickets?ticketNumber=${other.ticketNumber}&username=finder`, { token: agent })).body).toEqual({ items: [] });
    expect((await call('GET', '/v1/tickets?ticketNumber=987654321', { token: agent })).body).toEqual({ items: [] });
    expect((await call('GET', '/v1/tickets?username=nobody-filed', { token: agent })).body).toEqual({ items: [] });
    // By the address a requester writes from: compared without case, so "Finder"'s ticket
    // (Finder@example.org) is among them, where its username is another account's.
    const byAddress = (await call('GET', '/v1/tickets?contactEmail=FINDER@Example.org', { token: agent })).body.items.map((item: { ticketId: string }) => item.ticketId);
    expect(byAddress).toEqual(filed.filter((t) => t.username.toLowerCase() === 'finder').map((t) => t.ticketId));
    expect((await call('GET', '/v1/tickets?contactEmail=finder@example.org&username=Finder', { token: agent })).body.items).toEqual([
      expect.objectContaining({ ticketId: filed[3]!.ticketId, username: 'Finder' }),
    ]);
    // No filter: every ticket, in the order they came.
    const every: string[] = [];
    for (let after = ''; ; ) {
      const page = (await call('GET', `/v1/tickets?limit=200${after}`, { token: agent })).body;
      every.push(...page.items.map((item: { ticketId: string }) => item.ticketId));
      if (!page.next) break;
      after = `&after=${page.next}`;
    }
    expect(every.filter((id) => filed.some((t) => t.ticketId === id))).toEqual(filed.map((t) => t.ticketId));
  });

  it('finds the tickets filed for one reason, or in one state, and those that meet both; and those one staff member holds', async () => {
    const file = async (reason: string) => (await call('POST', '/v1/tickets', { body: { ...ticket('sorter'), reason } })).body as { ticketId: string; position: string };
    const [lostEmail, lost2fa, asked] = [await file('lost-email'), await file('lost-2fa'), await file('lost-2fa')];
    const question = await call('POST', `/v1/tickets/${asked.ticketId}/request-info`, { token: agent, body: { question: 'Which phone?' } });
    expect(question.status).toBe(200);
    const found = async (filter: string) =>
      (await call('GET', `/v1/tickets?username=sorter&${filter}&minPosition=${question.body.position}`, { token: agent })).body.items.map(
        (item: { ticketId: string }) => item.ticketId,
      );
    expect(await found('reason=lost-2fa')).toEqual([lost2fa.ticketId, asked.ticketId]);
    expect(await found('reason=lost-email')).toEqual([lostEmail.ticketId]);
    expect(await found('state=submitted')).toEqual([lostEmail.ticketId, lost2fa.ticketId]);
    expect(await found('state=awaiting-info&reason=lost-2fa')).toEqual([asked.ticketId]);
    expect(await found('state=awaiting-info&reason=lost-email')).toEqual([]);
    expect(await found('state=verified')).toEqual([]);
    // One staff member's: those the agent claimed.
    const ada = ((await call('GET', '/v1/staff', { token: ADMIN_TOKEN })).body.staff as Array<{ id: string; name: string }>).find((member) => member.name === 'Ada')!.id;
    expect((await call('POST', `/v1/tickets/${lostEmail.ticketId}/assign`, { token: agent })).status).toBe(200);
    const claimed = await call('POST', `/v1/tickets/${lost2fa.ticketId}/assign`, { token: agent });
    const holds = async (filter: string) => (await call('GET', `/v1/tickets?${filter}&minPosition=${claimed.body.position}`, { token: agent })).body.items.map((item: { ticketId: string }) => item.ticketId);
    expect(await holds(`username=sorter&assignee=${ada}`)).toEqual([lostEmail.ticketId, lost2fa.ticketId]);
    expect(await holds(`assignee=${ada}&reason=lost-2fa&username=sorter`)).toEqual([lost2fa.ticketId]);
    expect(await holds('assignee=nobody-holds-these')).toEqual([]);
  });

  it('refuses a filter that names no username, ticket number, address, reason or state, with the field named, and changes nothing', async () => {
    const before = await head();
    const refusals: Array<[string, string, string]> = [
      ['/v1/tickets?username=../finder', 'username', 'username must be 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit'],
      ['/v1/tickets?ticketNumber=0', 'ticketNumber', 'ticketNumber must be a ticket number: a whole number from 1'],
      ['/v1/tickets?ticketNumber=1e3', 'ticketNumber', 'ticketNumber must be a ticket number: a whole number from 1'],
      ['/v1/tickets?ticketNumber=-4', 'ticketNumber', 'ticketNumber must be a ticket number: a whole number from 1'],
      ['/v1/tickets?ticketNumber=1&ticketNumber=2', 'ticketNumber', 'ticketNumber must be given once'],
      ['/v1/tickets?after=garbage', 'after', 'after must be the next cursor of a previous page'],
      ['/v1/tickets?state=open', 'state', 'state must be one of submitted, awaiting-info, verified, rejected'],
      ['/v1/tickets?reason=lost-phone', 'reason', 'reason must be one of lost-email, forgotten-password, account-compromise, username-change, lost-2fa'],
      ['/v1/tickets?assignee=some%20one', 'assignee', 'assignee must be a staff id'],
      ['/v1/tickets?holder=someone', 'holder', 'holder is not a known field'],
      ['/v1/tickets?contactEmail=finder', 'contactEmail', 'contactEmail must be an email address'],
    ];
    await expectQueryRefusals(refusals);
    expect(await head()).toBe(before);
  });
});

describe('operations', () => {
  it('GET /health reports the store and projector positions', async () => {
    const health = await call('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ status: 'ok', store: 'sqlite', projections: { tickets: expect.any(String), staff: expect.any(String), accounts: expect.any(String) } });
  });

  it('GET /health tells while the read models cannot apply events, and stops telling once they can', async () => {
    // Another connection to the server's file makes every write of a ticket view fail.
    const file = new Database(join(server.dataDir, 'reclaim.sqlite'));
    file.exec(`CREATE TRIGGER refuse_views BEFORE INSERT ON ticket_views BEGIN SELECT RAISE(ABORT, 'simulated read-model fault'); END`);
    try {
      await call('POST', '/v1/tickets', { body: ticket('unprojected') });
      expect(await eventually(async () => (await call('GET', '/health')).body.lastProjectionError === 'simulated read-model fault', 5000)).toBe(true);
      expect((await call('GET', '/health')).status).toBe(200);
    } finally {
      file.exec('DROP TRIGGER refuse_views');
      file.close();
    }
    expect(await eventually(async () => (await call('GET', '/health')).body.lastProjectionError === undefined, 5000)).toBe(true);
  });

  it('GET /metrics answers Prometheus text to the metrics token only, and is off without one', async () => {
    const off = await call('GET', '/metrics');
    expect([off.status, off.body.detail]).toEqual([404, expect.stringContaining('RECLAIM_METRICS_TOKEN')]);
    const token = 'metrics-token-0123456789abcdef0123456789';
    await withServer({ RECLAIM_METRICS_TOKEN: token }, async (own) => {
      const ownCall = client(own.url);
      const agentToken = await createStaff(ownCall, 'agent', 'Ada');
      const submitted = (await ownCall('POST', '/v1/tickets', { body: ticket('metered') })).body;
      await ownCall('POST', '/v1/tickets', { body: { ...ticket('metered'), reason: 'nonsense' } });
      await ownCall('GET', `/v1/tickets/${submitted.ticketId}?minPosition=${submitted.position}`, { token: agentToken });
      // Refused before any route: by the HTTP parser, and by the router.
      await rawExchange(own.url, 'HELLO THERE\r\n\r\n');
      await ownCall('GET', '/v1/tickets/%E0%A4%A', { token: agentToken });
      const scrape = (authorization?: string) => fetch(`${own.url}/metrics`, { headers: authorization ? { authorization } : {} });
      // A staff token, even an admin's, is not the scraper's.
      for (const refused of [undefined, `Bearer ${ADMIN_TOKEN}`, `Bearer ${agentToken}`, `Bearer ${token}x`]) {
        const answer = await scrape(refused);
        expect([refused, answer.status, answer.headers.get('www-authenticate')]).toEqual([refused, 401, 'Bearer']);
      }
      const answer = await scrape(`Bearer ${token}`);
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
      const text = await answer.text();
      const samples = text.split('\n').filter((line) => line && !line.startsWith('#'));
      for (const line of samples) expect(line).toMatch(/^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? -?\d+(\.\d+)?(e-?\d+)?$/);
      const value = (name: string) => Number(samples.find((line) => line.startsWith(`${name} `))?.split(' ')[1]);
      expect(value('reclaim_queue_tickets{queue="submitted"}')).toBe(1);
      expect(value('reclaim_queue_tickets{queue="overdue"}')).toBe(0);
      expect(value('reclaim_projection_lag_events{projector="tickets"}')).toBe(0);
      expect(value('reclaim_event_store_head_position')).toBe(Number(submitted.position));
      // Requests by route pattern and status, never by id.
      expect(value('reclaim_http_requests_total{method="POST",route="/v1/tickets",status="201"}')).toBe(1);
      expect(value('reclaim_http_requests_total{method="POST",route="/v1/tickets",status="400"}')).toBe(1);
      expect(value('reclaim_http_requests_total{method="GET",route="/v1/tickets/:id",status="200"}')).toBe(1);
      expect(value('reclaim_http_requests_total{method="unknown",route="unparsed",status="400"}')).toBe(1);
      expect(value('reclaim_http_requests_total{method="GET",route="unmatched",status="400"}')).toBe(1);
      expect(text).not.toContain(submitted.ticketId);
      expect(value('reclaim_http_request_duration_seconds_count')).toBe(value('reclaim_http_request_duration_seconds_bucket{le="+Inf"}'));
      // Buckets count the requests up to their bound, so they never fall; these took well under 10 s.
      const buckets = samples.filter((line) => line.startsWith('reclaim_http_request_duration_seconds_bucket')).map((line) => Number(line.split(' ')[1]));
      expect(buckets).toEqual([...buckets].sort((a, b) => a - b));
      expect(value('reclaim_http_request_duration_seconds_bucket{le="10"}')).toBeGreaterThan(0);
      expect(value('reclaim_http_request_duration_seconds_sum')).toBeLessThan(value('reclaim_http_request_duration_seconds_count'));
      expect(value('process_resident_memory_bytes')).toBeGreaterThan(0);
    });
  }, 30000);

  // The committed copy is the one every answer of these tests is checked against (see `client`).
  it('serves the OpenAPI document, the committed one, and its UI', async () => {
    const document = await call('GET', '/docs/openapi.json');
    expect(document.body).toEqual(committedDocument);
    const ui = await fetch(`${server.url}/docs`);
    expect(ui.status).toBe(200);
    expect(await ui.text()).toContain('swagger');
  });

  it("ties each history entry to the request that recorded it (the log's request id) and to its command", async () => {
    const { ticketId } = (await call('POST', '/v1/tickets', { body: ticket('traced') })).body;
    await call('POST', `/v1/tickets/${ticketId}/notes`, { token: agent, body: { body: 'traced' }, headers: { 'x-request-id': 'trace-note-1' } });
    const untraced = await call('POST', `/v1/tickets/${ticketId}/notes`, { token: agent, body: { body: 'untraced' } });
    const notes = (await call('GET', `/v1/tickets/${ticketId}/history`, { token: agent })).body.events.filter((e: { type: string }) => e.type === 'NoteAdded');
    expect(notes.map((e: { correlationId: string }) => e.correlationId)).toEqual(['trace-note-1', untraced.headers.get('x-request-id')]);
    // One that could not be joined safely (a space, or longer than 64 characters) is replaced by one of ours.
    for (const unfit of ['two words', 'x'.repeat(65)]) {
      const replaced = (await call('GET', `/v1/tickets/${ticketId}`, { token: agent, headers: { 'x-request-id': unfit } })).headers.get('x-request-id');
      expect([unfit, replaced]).toEqual([unfit, expect.stringMatching(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/)]);
    }
    // The command's id: one per command.
    expect(new Set(notes.map((e: { causationId: string }) => e.causationId)).size).toBe(2);
  });

  it('logs one JSON line a request with a request id, and never a secret', async () => {
    const integratorCodes = await (async () => {
      await call('PUT', '/v1/accounts/logged', { token: integrator, body: { primaryEmail: 'l@example.org', emails: [], packages: [] } });
      return (await call('POST', '/v1/accounts/logged/recovery-codes', { token: integrator })).body.codes as string[];
    })();
    const totp = (await call('POST', '/v1/accounts/logged/totp', { token: integrator })).body.secret as string;
    const submitted = await call('POST', '/v1/tickets', { body: { ...ticket('logged'), recoveryCode: integratorCodes[0] }, headers: { 'x-request-id': 'trace-me-123' } });
    expect(submitted.headers.get('x-request-id')).toBe('trace-me-123');
    // The server's log lines reach this process through a pipe, a moment after the answer.
    const logged = () => server.logs.some((line) => line.includes('"requestId"') && line.includes('trace-me-123') && line.includes('"status":201'));
    await eventually(logged, 5000);
    expect(logged()).toBe(true);
    for (const line of server.logs) expect(() => JSON.parse(line)).not.toThrow();
    // Each line says who asked: the public, or which staff member.
    await call('GET', '/v1/queues/submitted', { token: ADMIN_TOKEN, headers: { 'x-request-id': 'trace-admin-1' } });
    const lineOf = (id: string) => server.logs.map((line) => JSON.parse(line).message).find((message) => message?.requestId === id);
    await eventually(() => lineOf('trace-admin-1') !== undefined, 5000);
    expect([lineOf('trace-me-123').principal, lineOf('trace-admin-1').principal]).toEqual(['public', 'staff:bootstrap-admin']);
    const all = server.logs.join('\n');
    for (const secret of [...integratorCodes, totp, submitted.body.accessToken, agent, integrator, ADMIN_TOKEN]) expect(all).not.toContain(secret);
    expect(all).not.toContain('l@example.org');
  });
});

describe('secrets at rest', () => {
  it('no file in the data folder holds a code, a TOTP secret, a token or a webhook secret in plain form', async () => {
    await withServer({ RECLAIM_WEBHOOK_ALLOW_LOCAL: 'true' }, async (own) => {
      const ownCall = client(own.url);
      const integratorToken = await createStaff(ownCall, 'integrator', 'Platform');
      // Each secret is handed out once; with an Idempotency-Key the answer is also kept for replay.
      const once = async (path: string, token: string, body: unknown = undefined) => {
        const answer = await ownCall('POST', path, { token, body, headers: { 'idempotency-key': `rest-${path}` } });
        expect(answer.status).toBe(201);
        return answer.body;
      };
      await ownCall('PUT', '/v1/accounts/rest', { token: integratorToken, body: { primaryEmail: 'r@example.org', emails: [], packages: [] } });
      const { codes } = await once('/v1/accounts/rest/recovery-codes', integratorToken);
      const { secret: totpSecret } = await once('/v1/accounts/rest/totp', integratorToken);
      const { token: staffToken } = await once('/v1/staff', ADMIN_TOKEN, { name: 'Rest', role: 'agent' });
      const { id: webhookId, secret: webhookSecret } = await once('/v1/webhooks', integratorToken, { url: 'http://127.0.0.1:9/unreachable' });
      const { secret: rotatedSecret } = await once(`/v1/webhooks/${webhookId}/secret`, integratorToken);
      const { accessToken } = await once('/v1/tickets', '', { ...ticket('rest'), recoveryCode: codes[0] });
      const secrets: string[] = [...codes, totpSecret, staffToken, webhookSecret, rotatedSecret, accessToken, integratorToken, ADMIN_TOKEN];
      for (const secret of secrets) expect(secret).toMatch(/^\S{16,}$/);

      // While running, the newest pages are in the WAL; after a clean stop, in the database.
      // Every file but the key file, which holds the key that seals secrets.
      const scan = () => {
        const files = readdirSync(own.dataDir).filter((name) => name !== 'secret.key');
        expect(files).toContain('reclaim.sqlite');
        for (const name of files) {
          const bytes = readFileSync(join(own.dataDir, name));
          for (const secret of secrets) expect({ file: name, holds: bytes.includes(secret) }).toEqual({ file: name, holds: false });
        }
      };
      scan();
      await own.stop();
      scan();
    });
  }, 60000);
});

/** The problem+json body of a raw HTTP answer, checking its headers say so. */
function problemIn(answer: string): Record<string, unknown> {
  const [head, body] = answer.split('\r\n\r\n');
  expect(head).toMatch(/\r\nContent-Type: application\/problem\+json\r\n/i);
  expect(head).toMatch(/\r\nCache-Control: no-store\r\n/i);
  // Where the next request would start is not known: the client is told the connection ends.
  expect(head).toMatch(/\r\nConnection: close(\r\n|$)/i);
  return JSON.parse(body!);
}

/** Writes raw bytes to the server and reads what it answers until it closes the connection. */
async function rawExchange(url: string, bytes: string): Promise<string> {
  const { port, hostname } = new URL(url);
  const socket = connect(Number(port), hostname);
  let answer = '';
  socket.on('data', (chunk) => (answer += chunk));
  socket.on('error', () => undefined); // the server may close while the rest is still being written
  socket.write(bytes);
  const closed = await new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), 5000);
    socket.once('close', () => (clearTimeout(timer), resolve(true)));
  });
  socket.destroy();
  expect(closed).toBe(true);
  return answer;
}

describe('requests that are not well-formed HTTP', () => {
  it('are answered as problems naming what is wrong, and the connection closed', async () => {
    const declaredTwice = await rawExchange(server.url, 'POST /v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}');
    expect(declaredTwice).toMatch(/^HTTP\/1\.1 400 Bad Request\r\n/);
    expect(problemIn(declaredTwice)).toMatchObject({ status: 400, errors: [{ field: 'request', message: expect.stringContaining('well-formed HTTP/1.1') }] });
    const notHttp = await rawExchange(server.url, 'HELLO THERE\r\n\r\n');
    expect(problemIn(notHttp)).toMatchObject({ status: 400, errors: [{ field: 'request' }] });
    const hugeHeaders = await rawExchange(server.url, `GET /health HTTP/1.1\r\nHost: x\r\nX-Filler: ${'a'.repeat(20_000)}\r\n\r\n`);
    expect(hugeHeaders).toMatch(/^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    expect(problemIn(hugeHeaders)).toMatchObject({ status: 431, errors: [{ field: 'headers' }] });
    // Logged, though no route saw them.
    const logged = (status: number) => server.logs.some((line) => line.includes('"route":"unparsed"') && line.includes(`"status":${status}`));
    expect(await eventually(() => logged(400) && logged(431), 5000)).toBe(true);
    // The server still answers others.
    expect((await call('GET', '/health')).status).toBe(200);
  });
});

describe('slow clients', () => {
  it('cuts off a request that is not sent in full within RECLAIM_REQUEST_TIMEOUT, and keeps an event stream open', async () => {
    await withServer({ RECLAIM_REQUEST_TIMEOUT: '1s' }, async (slow) => {
      const { port, hostname } = new URL(slow.url);
      // Headers announce a body that never comes.
      const socket = connect(Number(port), hostname);
      socket.write('POST /v1/tickets HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"user');
      let answer = '';
      socket.on('data', (chunk) => (answer += chunk));
      const closed = await new Promise<boolean>((resolve) => {
        const timer = setTimeout(() => resolve(false), 5000);
        socket.once('close', () => (clearTimeout(timer), resolve(true)));
      });
      socket.destroy();
      expect(closed).toBe(true);
      expect(answer).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
      expect(problemIn(answer)).toMatchObject({ status: 408, title: 'Request Timeout', detail: expect.stringContaining('RECLAIM_REQUEST_TIMEOUT') });
      // A long answer is not a long request: a stream outlives the timeout.
      const integratorToken = await createStaff(client(slow.url), 'integrator');
      const controller = new AbortController();
      const stream = await fetch(`${slow.url}/v1/events`, { headers: { authorization: `Bearer ${integratorToken}` }, signal: controller.signal });
      const reader = stream.body!.getReader();
      await reader.read(); // the opening comment
      await new Promise((resolve) => setTimeout(resolve, 2500));
      expect((await client(slow.url)('GET', '/health')).status).toBe(200);
      const stillOpen = !(await settlesWithin(reader.closed.catch(() => undefined), 100));
      expect(stillOpen).toBe(true);
      controller.abort();
    });
  }, 30000);
});

describe('limits per client address', () => {
  it('refuses submissions past RECLAIM_SUBMISSION_LIMIT with 429 and Retry-After', async () => {
    await withServer({ RECLAIM_SUBMISSION_LIMIT: '3/h' }, async (limited) => {
      const limitedCall = client(limited.url);
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await limitedCall('POST', '/v1/tickets', { body: ticket(`limited${i}`) })).status);
      expect(statuses).toEqual([201, 201, 201, 429]);
      const refused = await limitedCall('POST', '/v1/tickets', { body: ticket('limited9') });
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(3500);
      expect(refused.body.status).toBe(429);
    });
  }, 60000);

  it('counts each client behind a trusted proxy (RECLAIM_TRUSTED_PROXIES) by the address the proxy forwards (an IPv6 one by its /64), and believes no one else', async () => {
    const submit = (call: Call, name: string, forwardedFor: string) => call('POST', '/v1/tickets', { body: ticket(name), headers: { 'x-forwarded-for': forwardedFor } });
    await withServer({ RECLAIM_SUBMISSION_LIMIT: '2/h', RECLAIM_TRUSTED_PROXIES: 'loopback' }, async (proxied) => {
      // The test connects from 127.0.0.1: here, a trusted proxy.
      const call = client(proxied.url);
      const statuses = [];
      for (const [i, address] of ['203.0.113.1', '203.0.113.1', '203.0.113.1', '203.0.113.2', '198.51.100.9, 203.0.113.2'].entries()) {
        statuses.push((await submit(call, `proxied${i}`, address)).status);
      }
      // The last names a second hop: the address the trusted proxy saw, not what its client claimed.
      expect(statuses).toEqual([201, 201, 429, 201, 201]);
      // An IPv6 client by its /64, which one subscriber holds whole: a new address in it is the
      // same client; another /64 is another; an IPv4-mapped address is the IPv4 one.
      const v6 = [];
      for (const [i, address] of ['2001:db8:0:7::1', '2001:db8:0:7::2', '2001:db8:0:7:abcd::3', '2001:db8:0:8::1', '::ffff:203.0.113.2'].entries()) {
        v6.push((await submit(call, `proxied-v6-${i}`, address)).status);
      }
      expect(v6).toEqual([201, 201, 429, 201, 429]);
    });
    await withServer({ RECLAIM_SUBMISSION_LIMIT: '2/h' }, async (direct) => {
      // Without trusted proxies, the header is a client's claim: a new address each time changes nothing.
      const call = client(direct.url);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await submit(call, `direct${i}`, `203.0.113.${i + 10}`)).status);
      expect(statuses).toEqual([201, 201, 429]);
    });
  }, 60000);

  it('refuses code attempts past RECLAIM_CLIENT_CODE_ATTEMPT_LIMIT, whichever accounts they name, and never a request without a code', async () => {
    await withServer({ RECLAIM_CLIENT_CODE_ATTEMPT_LIMIT: '3/h' }, async (limited) => {
      const limitedCall = client(limited.url);
      // Each attempt names another username: the per-username limit is not what stops them.
      const statuses: number[] = [];
      for (let i = 0; i < 4; i++) statuses.push((await limitedCall('POST', '/v1/tickets', { body: { ...ticket(`guess${i}`), recoveryCode: 'ffffffffffffffff' } })).status);
      expect(statuses).toEqual([201, 201, 201, 429]);
      const plain = await limitedCall('POST', '/v1/tickets', { body: ticket('plain') });
      expect(plain.status).toBe(201);
      const { ticketId, accessToken } = plain.body;
      const withCode = await limitedCall('POST', `/v1/tickets/${ticketId}/replies`, { token: accessToken, body: { message: 'hi', totpCode: '123456' } });
      expect(withCode.status).toBe(429);
      expect(Number(withCode.headers.get('retry-after'))).toBeGreaterThan(3500);
      expect((await limitedCall('POST', `/v1/tickets/${ticketId}/replies`, { token: accessToken, body: { message: 'no code' } })).status).toBe(200);
    });
  }, 60000);
});
