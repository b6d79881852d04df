import { EventStoreUnavailable } from '@reclaim/event-store';
import { SecretReplaced } from '@reclaim/recovery';
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
  });

  it('answers an unknown error with 500 that says nothing of it', () => {
    const answer = toProblem(new Error('secret detail'));
    expect(answer).toMatchObject({ body: { status: 500 }, unexpected: true });
    expect(JSON.stringify(answer.body)).not.toContain('secret detail');
  });
});
