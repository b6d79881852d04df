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
      requestTimeoutMs: 30_000,
      trustedProxies: [],
      corsOrigins: [],
      webhooks: { enabled: true, allowLocal: false, timeoutMs: 10_000, retryBaseMs: 1000, retryMaxMs: 600_000, disableAfterMs: 86_400_000, pollMs: 250, concurrency: 8 },
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
    ).toThrow(/PORT=.*\n.*RECLAIM_ADMIN_TOKEN: at least 32 characters\n.*RECLAIM_SLA_RESPONSE=.*\n.*EVENTSTORE_CONNECTION_STRING/s);
  });

  it('reads the trusted proxies as addresses, CIDR ranges or named ranges, and refuses anything else by name', () => {
    expect(loadConfig({ RECLAIM_TRUSTED_PROXIES: ' 10.0.0.0/8, 192.168.1.7,loopback , fd00::/8,::1 ' }).trustedProxies).toEqual(['10.0.0.0/8', '192.168.1.7', 'loopback', 'fd00::/8', '::1']);
    for (const bad of ['proxy.example.org', '10.0.0.0/33', '::1/129', '10.0.0.1/8/8', '10.0.0/8', '*', '10.0.0.0/']) {
      expect(() => loadConfig({ RECLAIM_TRUSTED_PROXIES: `loopback,${bad}` })).toThrow(`RECLAIM_TRUSTED_PROXIES="loopback,${bad}": "${bad}" is not an address, a CIDR range or one of loopback, linklocal, uniquelocal`);
    }
  });

  it('reads the CORS origins as a browser sends them, or * alone, and refuses anything else by name', () => {
    expect(loadConfig({ RECLAIM_CORS_ORIGINS: ' https://help.example.com, http://localhost:8080 ' }).corsOrigins).toEqual(['https://help.example.com', 'http://localhost:8080']);
    expect(loadConfig({ RECLAIM_CORS_ORIGINS: '*' }).corsOrigins).toEqual(['*']);
    // What a browser would never send in Origin: a path, a default port, capitals, no scheme, another scheme.
    for (const [bad, as] of [['https://help.example.com/', ' (https://help.example.com)'], ['https://help.example.com:443', ' (https://help.example.com)'], ['https://Help.example.com', ' (https://help.example.com)'], ['help.example.com', ''], ['ftp://files.example.com', '']]) {
      expect(() => loadConfig({ RECLAIM_CORS_ORIGINS: bad })).toThrow(`RECLAIM_CORS_ORIGINS="${bad}": "${bad}" is not an origin as a browser sends it, such as https://help.example.com${as}`);
    }
    expect(() => loadConfig({ RECLAIM_CORS_ORIGINS: '*,https://help.example.com' })).toThrow('RECLAIM_CORS_ORIGINS="*,https://help.example.com": * stands alone');
  });

  it('refuses a port, a bcrypt cost or a webhook concurrency out of range, at either end', () => {
    for (const port of ['-1', '65536', '80.5']) expect(() => loadConfig({ PORT: port })).toThrow(`PORT="${port}": a port number from 0 to 65535`);
    expect([loadConfig({ PORT: '0' }).port, loadConfig({ PORT: '65535' }).port]).toEqual([0, 65535]);
    for (const cost of ['3', '32', '10.5']) expect(() => loadConfig({ RECLAIM_BCRYPT_COST: cost })).toThrow(`RECLAIM_BCRYPT_COST="${cost}": a whole number from 4 to 31`);
    expect([loadConfig({ RECLAIM_BCRYPT_COST: '4' }).bcryptCost, loadConfig({ RECLAIM_BCRYPT_COST: '31' }).bcryptCost]).toEqual([4, 31]);
    for (const many of ['0', '33', '2.5', 'all']) {
      expect(() => loadConfig({ RECLAIM_WEBHOOK_CONCURRENCY: many })).toThrow(`RECLAIM_WEBHOOK_CONCURRENCY="${many}": a whole number from 1 to 32`);
    }
    expect([loadConfig({ RECLAIM_WEBHOOK_CONCURRENCY: '1' }).webhooks.concurrency, loadConfig({ RECLAIM_WEBHOOK_CONCURRENCY: '32' }).webhooks.concurrency]).toEqual([1, 32]);
  });

  it('never repeats a token in its error, which is logged', () => {
    for (const name of ['RECLAIM_ADMIN_TOKEN', 'RECLAIM_METRICS_TOKEN']) {
      expect(() => loadConfig({ [name]: 'almost-long-enough-secret-31-ch' })).toThrow(new RegExp(`${name}: at least 32 characters`));
      expect(() => loadConfig({ [name]: 'almost-long-enough-secret-31-ch' })).not.toThrow(/almost-long-enough/);
    }
    expect(loadConfig({ RECLAIM_METRICS_TOKEN: 'metrics-token-0123456789abcdef0123456789' }).metricsToken).toBe('metrics-token-0123456789abcdef0123456789');
    // A character no Bearer token may hold would make every call with it a 401.
    for (const name of ['RECLAIM_ADMIN_TOKEN', 'RECLAIM_METRICS_TOKEN']) {
      expect(() => loadConfig({ [name]: 'a-long-enough-secret-but-with-a-$ign' })).toThrow(new RegExp(`${name}: only letters, digits`));
      expect(() => loadConfig({ [name]: 'a-long-enough-secret-but-with-a-$ign' })).not.toThrow(/\$ign/);
    }
    expect(() => loadConfig({ RECLAIM_ADMIN_TOKEN: 'x'.repeat(257) })).toThrow(/RECLAIM_ADMIN_TOKEN: at most 256 characters/);
    expect(loadConfig({ RECLAIM_ADMIN_TOKEN: 'base64+like/token_with.all~kinds-0123==' }).adminToken).toBe('base64+like/token_with.all~kinds-0123==');
  });

  it('refuses a rate of nothing, or in no time, as a rate', () => {
    for (const rate of ['0/h', '10/0h', '10/00m', '10/h/2', '10/1.5h']) {
      expect(() => loadConfig({ RECLAIM_SUBMISSION_LIMIT: rate })).toThrow(`RECLAIM_SUBMISSION_LIMIT="${rate}": a rate such as 10/h or 100/15m`);
    }
    expect(loadConfig({ RECLAIM_SUBMISSION_LIMIT: '10/h' }).submissionLimit).toEqual({ limit: 10, windowMs: 3_600_000 });
  });

  it('refuses durations past what their setting can mean', () => {
    // 30 days overflows a timer (Node fires it at once): every delivery would time out at once.
    expect(() => loadConfig({ RECLAIM_WEBHOOK_TIMEOUT: '30d' })).toThrow(/RECLAIM_WEBHOOK_TIMEOUT="30d": .*at most 10m/);
    expect(loadConfig({ RECLAIM_WEBHOOK_TIMEOUT: '10m' }).webhooks.timeoutMs).toBe(600_000);
    // A request may not hold a connection for longer than ten minutes, however slowly it comes.
    expect(() => loadConfig({ RECLAIM_REQUEST_TIMEOUT: '11m' })).toThrow(/RECLAIM_REQUEST_TIMEOUT="11m": .*at most 10m/);
    expect(loadConfig({ RECLAIM_REQUEST_TIMEOUT: '10m' }).requestTimeoutMs).toBe(600_000);
    // More than ten years is a slip of the keyboard, not a policy.
    expect(() => loadConfig({ RECLAIM_SLA_RESPONSE: '999999999d' })).toThrow(/RECLAIM_SLA_RESPONSE="999999999d": .*at most 3650d/);
    expect(loadConfig({ RECLAIM_REPLY_TIMEOUT: '3650d' }).replyTimeoutMs).toBe(3650 * 86_400_000);
  });

  it('refuses a duration of no time, and reads milliseconds and spaces around a value', () => {
    // Every ticket would be overdue the moment it arrived.
    expect(() => loadConfig({ RECLAIM_SLA_RESPONSE: '0s' })).toThrow(/RECLAIM_SLA_RESPONSE="0s": a duration such as 30s/);
    expect(loadConfig({ RECLAIM_SLA_RESPONSE: '250ms', RECLAIM_REPLY_TIMEOUT: ' 7d ' })).toMatchObject({ slaResponseMs: 250, replyTimeoutMs: 7 * 86_400_000 });
  });

  it('gives tickets of high priority the SLA of every ticket unless told a shorter one, and refuses a longer one', () => {
    expect(loadConfig({}).slaHighPriorityMs).toBeUndefined();
    expect(loadConfig({ RECLAIM_SLA_RESPONSE_HIGH: '1d' })).toMatchObject({ slaResponseMs: 7 * 86_400_000, slaHighPriorityMs: 86_400_000 });
    expect(() => loadConfig({ RECLAIM_SLA_RESPONSE: '1d', RECLAIM_SLA_RESPONSE_HIGH: '2d' })).toThrow(/RECLAIM_SLA_RESPONSE_HIGH="2d": at most RECLAIM_SLA_RESPONSE/);
    expect(() => loadConfig({ RECLAIM_SLA_RESPONSE_HIGH: 'soon' })).toThrow(/RECLAIM_SLA_RESPONSE_HIGH="soon": a duration such as 30s/);
  });

  it('takes a variable set empty, or to spaces, as left out: an empty PORT is not port 0 (any free port)', () => {
    expect(loadConfig({ PORT: '', RECLAIM_SLA_RESPONSE: '  ', RECLAIM_SUBMISSION_LIMIT: '' })).toMatchObject({ port: 3000, slaResponseMs: 7 * 86_400_000, submissionLimit: { limit: 10, windowMs: 3_600_000 } });
  });
});
