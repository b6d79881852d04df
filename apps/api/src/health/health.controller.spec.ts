import type { EventStore } from '@reclaim/event-store';
import type { ProjectionRunner } from '@reclaim/projections';
import { ProblemError } from '../http/problem';
import { HealthController } from './health.controller';

const projections = { lastError: () => undefined, positions: () => ({ tickets: '7' }) } as unknown as ProjectionRunner;

describe('GET /health', () => {
  it('answers 200 with the head and each read model while the store answers', async () => {
    const store = { kind: 'eventstoredb', headPosition: async () => 7n } as unknown as EventStore;
    expect(await new HealthController(store, projections).health()).toEqual({ status: 'ok', store: 'eventstoredb', head: '7', projections: { tickets: '7' } });
  });

  it('answers 503 when the store does not answer, so that a load balancer takes the instance out', async () => {
    const store = { kind: 'eventstoredb', headPosition: async () => Promise.reject(new Error('no leader')) } as unknown as EventStore;
    const answer = await new HealthController(store, projections).health().catch((error: unknown) => error);
    expect(answer).toBeInstanceOf(ProblemError);
    expect((answer as ProblemError).problem).toMatchObject({ status: 503, detail: 'The event store does not answer.' });
    // Said when to ask again, as every other 503 says it (a client polling for readiness waits that long).
    expect((answer as ProblemError).headers).toEqual({ 'retry-after': '5' });
  });
});
