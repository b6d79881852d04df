import { isIP } from 'node:net';

/**
 * What a client's requests are counted under by the per-address limits: an IPv4 address as it is
 * (also when it comes IPv4-mapped, as a dual-stack socket gives it), an IPv6 address by its /64.
 * One subscriber is given a whole /64 at least (RFC 6177), and counting each of its 2^64
 * addresses apart would let one client pass any limit by taking a new address for each request.
 */
export function clientKey(address: string): string {
  const plain = address.replace(/%.*$/, ''); // a zone index names a local interface, not a client
  if (isIP(plain) !== 6) return address;
  const groups = hextets(plain);
  const mapped = groups.slice(0, 6).join(':') === '0:0:0:0:0:ffff';
  if (mapped) return [groups[6]!, groups[7]!].flatMap((group) => [parseInt(group, 16) >> 8, parseInt(group, 16) & 255]).join('.');
  return `${groups.slice(0, 4).join(':')}::/64`;
}

/** The eight 16-bit groups of a valid IPv6 address, in lower case without leading zeros. */
function hextets(address: string): string[] {
  const [head, tail] = address.includes('::') ? address.split('::') : [address, undefined];
  const groups = (part: string | undefined) => (part ? part.split(':').flatMap((group) => (group.includes('.') ? fromIpv4(group) : [group])) : []);
  const left = groups(head);
  const right = groups(tail);
  const zeros = tail === undefined ? [] : Array<string>(8 - left.length - right.length).fill('0');
  return [...left, ...zeros, ...right].map((group) => parseInt(group, 16).toString(16));
}

/** A trailing dotted IPv4 part (`::ffff:192.0.2.1`) as the two groups it stands for. */
function fromIpv4(dotted: string): string[] {
  const [a, b, c, d] = dotted.split('.').map(Number) as [number, number, number, number];
  return [((a << 8) | b).toString(16), ((c << 8) | d).toString(16)];
}
