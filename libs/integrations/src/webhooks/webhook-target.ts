import { lookup } from 'node:dns/promises';
import { BlockList, isIP } from 'node:net';
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
  const thisMachine = thisMachinesAddresses();
  const local = addresses.find((address) => thisMachine.check(address, isIP(address) === 4 ? 'ipv4' : 'ipv6'));
  return local ? `url points at this machine (${local}); set RECLAIM_WEBHOOK_ALLOW_LOCAL=true to allow it` : undefined;
}

/**
 * Loopback, "this network", link-local (where clouds serve instance metadata), the IPv4-compatible
 * range (`::` and `::1` among them) and every address of this machine's interfaces. A BlockList
 * also matches IPv4-mapped IPv6 (`[::ffff:127.0.0.1]`, which URL parsing writes `[::ffff:7f00:1]`)
 * against the IPv4 rules: comparing address strings would let such a URL through.
 */
function thisMachinesAddresses(): BlockList {
  const list = new BlockList();
  list.addSubnet('127.0.0.0', 8, 'ipv4');
  list.addSubnet('0.0.0.0', 8, 'ipv4');
  list.addSubnet('169.254.0.0', 16, 'ipv4');
  list.addSubnet('::', 96, 'ipv6');
  list.addSubnet('fe80::', 10, 'ipv6');
  for (const own of Object.values(networkInterfaces()).flat()) {
    if (own) list.addAddress(own.address, own.family === 'IPv4' ? 'ipv4' : 'ipv6');
  }
  return list;
}
