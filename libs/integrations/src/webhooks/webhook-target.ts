import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { networkInterfaces } from 'node:os';

/**
 * Whether a webhook may be sent to this URL. Targets on this very machine (loopback, unspecified,
 * link-local, or any address of its own interfaces) are refused unless allowed, so that a
 * subscription cannot turn the engine against itself or its neighbours on the host. The check
 * runs at creation and again before each delivery (the name may point elsewhere by then).
 */
export async function checkWebhookTarget(url: string, allowLocal: boolean): Promise<string | undefined> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'url must be an absolute http or https URL';
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return 'url must use http or https';
  if (parsed.username || parsed.password) return 'url must not carry credentials';
  if (allowLocal) return undefined;
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  let addresses: string[];
  try {
    addresses = isIP(host) ? [host] : (await lookup(host, { all: true })).map((a) => a.address);
  } catch {
    return `url host ${host} does not resolve`;
  }
  const own = new Set(Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address)));
  const local = addresses.find((address) => isLocalAddress(address) || own.has(address));
  return local ? `url points at this machine (${local}); set RECLAIM_WEBHOOK_ALLOW_LOCAL=true to allow it` : undefined;
}

function isLocalAddress(address: string): boolean {
  const v4 = address.replace(/^::ffff:/, '');
  if (isIP(v4) === 4) return v4.startsWith('127.') || v4.startsWith('0.') || v4.startsWith('169.254.');
  const v6 = address.toLowerCase();
  return v6 === '::1' || v6 === '::' || v6.startsWith('fe80:');
}
