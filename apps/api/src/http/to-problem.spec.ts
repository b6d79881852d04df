import { EventStoreUnavailable, WrongExpectedRevision } from '@reclaim/event-store';
import { RecoveredElsewhere, SecretReplaced, StaleRevision, TransitionNotAllowed } from '@reclaim/recovery';
import { toProblem } from './to-problem';

describe('toProblem', () => {
  it('answers a store that cannot take the request with 503 and Retry-After, logged, without its inner message', () => {
    const answer = toProblem(new EventStoreUnavailable('SQLite: SQLITE_FULL', new Error('database or disk is full')));
    expect(answer).toEqual({
      body: expect.objectContaining({ status: 503, title: 'Service Unavailable' }),
      headers: { 'retry-after': '2' },
      unexpected: true,
    });
    expect(JSON.stringify(answer.body)).not.toMatch(/SQLITE|disk/);
  });

  it('answers a retry whose secret was replaced since with 409 secret-replaced, naming the secret', () => {
    const answer = toProblem(new SecretReplaced('TOTP secret'));
    expect(answer).toMatchObject({ body: { status: 409, type: 'https://reclaim.dev/problems/secret-replaced' }, unexpected: false });
    expect(answer.body.detail).toContain('TOTP secret');
    expect(answer.body.detail).toContain('has been replaced since by another request');
    const sealedWithLostKey = toProblem(new SecretReplaced('webhook secret', 'key'));
    expect(sealedWithLostKey).toMatchObject({ body: { status: 409, type: 'https://reclaim.dev/problems/secret-replaced' }, unexpected: false });
    expect(sealedWithLostKey.body.detail).toBe(
      'The first answer to this request was lost, and the webhook secret it issued was sealed with a secret key that was lost and replaced since; it cannot be shown again.',
    );
  });

  it('answers a command the lifecycle refuses with 409 transition-not-allowed, naming the current state (the contract\'s promise)', () => {
    const answer = toProblem(new TransitionNotAllowed('VerifyTicket', 'rejected'));
    expect(answer).toEqual({
      body: expect.objectContaining({ status: 409, type: 'https://reclaim.dev/problems/transition-not-allowed', detail: 'VerifyTicket is not allowed while the ticket is rejected. Current state: rejected.' }),
      headers: {},
      unexpected: false,
    });
  });

  it('answers a verification of a ticket whose account was recovered through another with 409 recovered-elsewhere, naming that ticket and what follows', () => {
    const recovered = toProblem(new RecoveredElsewhere({ ticketNumber: 12, verified: true }));
    expect(recovered).toMatchObject({ body: { status: 409, type: 'https://reclaim.dev/problems/recovered-elsewhere' }, unexpected: false });
    expect(recovered.body.detail).toBe(
      'Access to the account was restored through ticket 12, filed under the same username, since this ticket was filed. Verifying this ticket as well would hand the account to a second contact address: the system closes it as a duplicate. A requester who still cannot get in files a new request.',
    );
    expect(recovered.headers).toEqual({});
    const beingRecorded = toProblem(new RecoveredElsewhere({ ticketNumber: 12, verified: false }));
    expect(beingRecorded.body.detail).toBe(
      'A verification of ticket 12, filed under the same username, is being recorded. Look at this ticket again in a moment: once that ticket is verified, the system closes this one as a duplicate.',
    );
    // Settled in a moment, either way.
    expect(beingRecorded.headers).toEqual({ 'retry-after': '1' });
  });

  it('answers a stale If-Match with 412 stale-revision, and a command that lost every race with 409 concurrent-change', () => {
    expect(toProblem(new StaleRevision(1n, 3n)).body).toMatchObject({ status: 412, title: 'Precondition Failed', type: 'https://reclaim.dev/problems/stale-revision', detail: 'If-Match 1 is stale: the ticket is at revision 3.' });
    expect(toProblem(new WrongExpectedRevision('ticket-1', 2n, 3n)).body).toMatchObject({ status: 409, type: 'https://reclaim.dev/problems/concurrent-change' });
  });

  it('keeps the status of a client error Fastify raised itself, without its inner text when it is about reading the body', () => {
    const answer = toProblem(Object.assign(new Error('FST_ERR_CTP_INVALID_CONTENT_LENGTH: Request body size did not match Content-Length'), { statusCode: 400, code: 'FST_ERR_CTP_INVALID_CONTENT_LENGTH' }));
    expect(answer).toMatchObject({ body: { status: 400, detail: 'The body could not be read.' }, unexpected: false });
  });

  it('answers an unknown error with 500 that says nothing of it', () => {
    const answer = toProblem(new Error('secret detail'));
    expect(answer).toMatchObject({ body: { status: 500 }, unexpected: true });
    expect(JSON.stringify(answer.body)).not.toContain('secret detail');
  });
});
