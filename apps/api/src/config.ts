import { defaultWebhookSettings, MOST_WEBHOOK_CONCURRENCY, type WebhookSettings } from '@reclaim/integrations';
import { parseEventStoreKind, type EventStoreKind } from '@reclaim/event-store';
import { parseDuration, parseRate, type Rate } from '@reclaim/recovery';
import { isIP } from 'node:net';

/** Everything the server reads from its environment, parsed and checked once at start-up. */
export interface AppConfig {
  port: number;
  dataDir: string;
  eventStore: EventStoreKind;
  eventStoreConnectionString?: string;
  adminToken?: string;
  /** The token a metrics scraper sends; without it `/metrics` is off. */
  metricsToken?: string;
  /** 64 hex characters; without it a key file in dataDir is used. */
  secretKey?: string;
  slaResponseMs: number;
  /** The SLA of a ticket of high priority (a report of a compromise, a valid code that needs a person); unset, the same. */
  slaHighPriorityMs?: number;
  replyTimeoutMs: number;
  bcryptCost: number;
  submissionLimit: Rate;
  /** Code attempts (recovery code or TOTP) per client address, whatever the account. */
  clientCodeAttemptLimit: Rate;
  /**
   * The reverse proxies in front of the server (addresses, CIDR ranges, or `loopback`,
   * `linklocal`, `uniquelocal`), whose `X-Forwarded-For` names the client; none by default.
   */
  trustedProxies: string[];
  /**
   * Web origins whose pages may call the API from a browser (CORS): a help page that files
   * tickets, a support console; `*` for any. None by default: a browser then lets only pages of
   * the API's own origin call it.
   */
  corsOrigins: string[];
  webhooks: WebhookSettings;
  /** How long a client may take to send a whole request (headers and body). */
  requestTimeoutMs: number;
}

export const APP_CONFIG = Symbol('APP_CONFIG');

function onOff(raw: string): boolean {
  if (['on', 'true', '1', 'yes'].includes(raw)) return true;
  if (['off', 'false', '0', 'no'].includes(raw)) return false;
  throw new Error('on or off');
}

function wholeNumber(from: number, to: number): (raw: string) => number {
  return (raw) => {
    const value = Number(raw);
    if (!Number.isInteger(value) || value < from || value > to) throw new Error(`a whole number from ${from} to ${to}`);
    return value;
  };
}

/**
 * A duration up to `max`: beyond it a value is a slip (an SLA of more than ten years), or breaks
 * what it sets (a delivery's timeout is a timer, which Node fires at once past 24.8 days).
 */
function durationUpTo(max: string): (raw: string) => number {
  return (raw) => {
    const ms = parseDuration(raw);
    if (ms > parseDuration(max)) throw new Error(`a duration such as 30s, 15m, 12h or 7d, at most ${max}`);
    return ms;
  };
}

/**
 * A token set by the operator, long enough not to be guessed, of the characters a Bearer token
 * may hold (RFC 6750; one with others could never be sent, and would be refused at every call);
 * none when left empty.
 */
function optionalToken(raw: string): string | undefined {
  if (raw && raw.length < 32) throw new Error('at least 32 characters');
  if (raw.length > 256) throw new Error('at most 256 characters, as a Bearer token is');
  if (raw && !/^[A-Za-z0-9\-._~+/]+=*$/.test(raw)) throw new Error('only letters, digits and - . _ ~ + / (then = at the end), as a Bearer token holds');
  return raw || undefined;
}

/** Names of address ranges that proxy-addr (Fastify's `trustProxy`) knows. */
const ADDRESS_RANGE_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/**
 * The proxies whose `X-Forwarded-For` is believed. Behind a proxy every request comes from the
 * proxy's address, so without this the per-address limits would count every client as one; and
 * believing the header from anyone would let a client name any address, and so escape them.
 */
function trustedProxies(raw: string): string[] {
  const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
  for (const entry of entries) {
    const [address, prefix, ...rest] = entry.split('/');
    const version = isIP(address!);
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= (version === 6 ? 128 : 32));
    if (!ADDRESS_RANGE_NAMES.includes(entry) && (!version || !prefixOk || rest.length)) {
      throw new Error(`${JSON.stringify(entry)} is not an address, a CIDR range or one of ${ADDRESS_RANGE_NAMES.join(', ')}`);
    }
  }
  return entries;
}

/**
 * Origins as a browser sends them in `Origin` (scheme, host, and a port other than the scheme's
 * own; no path, host in lower case), or `*` alone: one written otherwise would never match, and
 * its pages would be refused without a word.
 */
function corsOrigins(raw: string): string[] {
  const entries = raw.split(',').map((entry) => entry.trim()).filter(Boolean);
  if (entries.includes('*')) {
    if (entries.length > 1) throw new Error('* stands alone: it already lets every origin in');
    return entries;
  }
  for (const entry of entries) {
    let origin: string | undefined;
    try {
      const url = new URL(entry);
      if (url.protocol === 'https:' || url.protocol === 'http:') origin = url.origin;
    } catch {
      // not a URL at all
    }
    if (origin !== entry) throw new Error(`${JSON.stringify(entry)} is not an origin as a browser sends it, such as https://help.example.com${origin ? ` (${origin})` : ''}`);
  }
  return entries;
}

/** Reads the contract's variables; throws one error naming every variable that is wrong. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const problems: string[] = [];
  /** A secret's value is never repeated in the error, which ends up in logs. */
  const read = <T>(name: string, fallback: string, parse: (raw: string) => T, secret = false): T => {
    const raw = env[name]?.trim() || fallback;
    try {
      return parse(raw);
    } catch (error) {
      problems.push(`${secret ? name : `${name}=${JSON.stringify(raw)}`}: ${(error as Error).message}`);
      return undefined as T;
    }
  };
  const longDuration = durationUpTo('3650d');
  const config: AppConfig = {
    port: read('PORT', '3000', (raw) => {
      const port = Number(raw);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error('a port number from 0 to 65535');
      return port;
    }),
    dataDir: read('RECLAIM_DATA_DIR', './data', (raw) => raw),
    eventStore: read('RECLAIM_EVENT_STORE', 'sqlite', parseEventStoreKind),
    eventStoreConnectionString: env.EVENTSTORE_CONNECTION_STRING?.trim() || undefined,
    adminToken: read('RECLAIM_ADMIN_TOKEN', '', optionalToken, true),
    metricsToken: read('RECLAIM_METRICS_TOKEN', '', optionalToken, true),
    secretKey: env.RECLAIM_SECRET_KEY?.trim() || undefined,
    slaResponseMs: read('RECLAIM_SLA_RESPONSE', '7d', longDuration),
    slaHighPriorityMs: read('RECLAIM_SLA_RESPONSE_HIGH', '', (raw) => (raw ? longDuration(raw) : undefined)),
    replyTimeoutMs: read('RECLAIM_REPLY_TIMEOUT', '14d', longDuration),
    bcryptCost: read('RECLAIM_BCRYPT_COST', '12', wholeNumber(4, 31)),
    submissionLimit: read('RECLAIM_SUBMISSION_LIMIT', '10/h', parseRate),
    clientCodeAttemptLimit: read('RECLAIM_CLIENT_CODE_ATTEMPT_LIMIT', '10/5m', parseRate),
    trustedProxies: read('RECLAIM_TRUSTED_PROXIES', '', trustedProxies),
    corsOrigins: read('RECLAIM_CORS_ORIGINS', '', corsOrigins),
    requestTimeoutMs: read('RECLAIM_REQUEST_TIMEOUT', '30s', durationUpTo('10m')),
    webhooks: {
      ...defaultWebhookSettings,
      enabled: read('RECLAIM_WEBHOOKS', 'on', onOff),
      allowLocal: read('RECLAIM_WEBHOOK_ALLOW_LOCAL', 'false', onOff),
      timeoutMs: read('RECLAIM_WEBHOOK_TIMEOUT', '10s', durationUpTo('10m')),
      retryBaseMs: read('RECLAIM_WEBHOOK_RETRY_BASE', '1s', longDuration),
      retryMaxMs: read('RECLAIM_WEBHOOK_RETRY_MAX', '10m', longDuration),
      disableAfterMs: read('RECLAIM_WEBHOOK_DISABLE_AFTER', '1d', longDuration),
      concurrency: read('RECLAIM_WEBHOOK_CONCURRENCY', '8', wholeNumber(1, MOST_WEBHOOK_CONCURRENCY)),
    },
  };
  // Urgent work is answered sooner, never later: a longer one is a slip.
  if (config.slaHighPriorityMs !== undefined && config.slaResponseMs !== undefined && config.slaHighPriorityMs > config.slaResponseMs) {
    problems.push(`RECLAIM_SLA_RESPONSE_HIGH=${JSON.stringify(env.RECLAIM_SLA_RESPONSE_HIGH!.trim())}: at most RECLAIM_SLA_RESPONSE`);
  }
  if (config.eventStore === 'eventstoredb' && !config.eventStoreConnectionString) {
    problems.push('EVENTSTORE_CONNECTION_STRING: required when RECLAIM_EVENT_STORE=eventstoredb');
  }
  if (problems.length) throw new Error(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  return config;
}
