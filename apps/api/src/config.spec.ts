import { loadConfig } from './config';

describe('loadConfig', () => {
  it('applies the contract defaults', () => {
    expect(loadConfig({})).toEqual({
      port: 3000,
      dataDir: './data',
      eventStore: 'sqlite',
      eventStoreConnectionString: undefined,
      adminToken: undefined,
      secretKey: undefined,
      slaResponseMs: 7 * 86_400_000,
      replyTimeoutMs: 14 * 86_400_000,
      bcryptCost: 12,
      submissionLimit: { limit: 10, windowMs: 3_600_000 },
      clientCodeAttemptLimit: { limit: 10, windowMs: 300_000 },
      webhooks: { enabled: true, allowLocal: false, timeoutMs: 10_000, retryBaseMs: 1000, retryMaxMs: 600_000, disableAfterMs: 86_400_000, pollMs: 250 },
    });
  });

  it('reads durations, rates and the store choice', () => {
    const config = loadConfig({
      PORT: '0',
      RECLAIM_SLA_RESPONSE: '30s',
      RECLAIM_REPLY_TIMEOUT: '15m',
      RECLAIM_SUBMISSION_LIMIT: '100/12h',
      RECLAIM_EVENT_STORE: 'eventstoredb',
      EVENTSTORE_CONNECTION_STRING: 'esdb://a:2113,b:2113,c:2113?tls=true',
    });
    expect(config).toMatchObject({
      port: 0,
      slaResponseMs: 30_000,
      replyTimeoutMs: 900_000,
      submissionLimit: { limit: 100, windowMs: 12 * 3_600_000 },
      eventStore: 'eventstoredb',
    });
  });

  it('names every wrong variable at once', () => {
    expect(() =>
      loadConfig({ PORT: 'x', RECLAIM_SLA_RESPONSE: '7 days', RECLAIM_ADMIN_TOKEN: 'short', RECLAIM_EVENT_STORE: 'eventstoredb' }),
    ).toThrow(/PORT=.*\n.*RECLAIM_ADMIN_TOKEN=.*\n.*RECLAIM_SLA_RESPONSE=.*\n.*EVENTSTORE_CONNECTION_STRING/s);
  });
});
