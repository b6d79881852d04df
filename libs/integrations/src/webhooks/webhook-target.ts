import { lookup } from 'node:dns/promises';
import { request as httpRequest, type RequestOptions } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { BlockList, isIP, type LookupFunction } from 'node:net';
import { networkInterfaces } from 'node:os';

/**
 * Whether a webhook may be sent to this URL. Targets on this very machine (loopback, unspecified,
 * link-local, or any address of its own interfaces) are refused unless allowed, so that a
 * subscription cannot turn the engine against itself or its neighbours on the host. The check
 * runs at creation and again before each delivery (the name may point elsewhere by then).
 */
export async function checkWebhookTarget(url: string, allowLocal: boolean): Promise<string | undefined> {
  const target = await resolveTarget(url, allowLocal);
  return 'refused' in target ? target.refused : undefined;
}

/**
 * POSTs a delivery and answers the response's status code. The connection goes to the addresses
 * the check approved, not to a second lookup of the name, which could answer differently by then
 * (DNS rebinding). Redirects are not followed.
 */
export async function postToWebhook(
  url: string,
  delivery: { headers: Record<string, string>; body: string; timeoutMs: number; allowLocal: boolean },
): Promise<number> {
  const target = await resolveTarget(url, delivery.allowLocal);
  if ('refused' in target) throw new Error(target.refused);
  const send = target.url.protocol === 'https:' ? httpsRequest : httpRequest;
  const signal = AbortSignal.timeout(delivery.timeoutMs);
  const options: RequestOptions = {
    method: 'POST',
    headers: { ...delivery.headers, 'content-length': Buffer.byteLength(delivery.body) },
    signal,
    ...(target.addresses ? { lookup: pinnedLookup(target.addresses) } : {}),
  };
  return new Promise((resolve, reject) => {
    const request = send(target.url, options, (response) => {
      response.resume(); // the body is not read, only drained
      resolve(response.statusCode ?? 0);
    });
    request.on('error', (error) => reject(signal.aborted ? new Error(`timed out after ${delivery.timeoutMs} ms`) : error));
    request.end(delivery.body);
  });
}

/** The URL and, unless targets on this machine are allowed, the checked addresses of its host. */
async function resolveTarget(url: string, allowLocal: boolean): Promise<{ refused: string } | { url: URL; addresses?: Address[] }> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return { refused: 'url must be an absolute http or https URL' };
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return { refused: 'url must use http or https' };
  if (parsed.username || parsed.password) return { refused: 'url must not carry credentials' };
  if (allowLocal) return { url: parsed };
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  let addresses: Address[];
  try {
    addresses = isIP(host) ? [{ address: host, family: isIP(host) }] : await lookup(host, { all: true });
  } catch {
    return { refused: `url host ${host} does not resolve` };
  }
  const thisMachine = thisMachinesAddresses();
  const local = addresses.find(({ address, family }) => thisMachine.check(address, family === 4 ? 'ipv4' : 'ipv6'));
  if (local) return { refused: `url points at this machine (${local.address}); set RECLAIM_WEBHOOK_ALLOW_LOCAL=true to allow it` };
  return { url: parsed, addresses };
}

export interface Address {
  address: string;
  family: number;
}

/** A lookup that answers the given addresses, whatever name it is asked for. */
export function pinnedLookup(addresses: Address[]): LookupFunction {
  return ((_hostname: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options.all) callback(null, addresses);
    else callback(null, addresses[0]!.address, addresses[0]!.family);
  }) as LookupFunction;
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
