import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

/**
 * The IPv6 prefix one client is counted by: a /64, the smallest network an end site is given
 * (RFC 6177) and the one stateless autoconfiguration picks addresses in (RFC 4291), so any
 * IPv6 client can take as many addresses in its /64 as it likes.
 */
const IPV6_CLIENT_PREFIX_LENGTH = 64;

/**
 * The client a per-address limit counts, from the request's address: an IPv4 address as it is
 * (an IPv4-mapped IPv6 address, `::ffff:192.0.2.1`, as that IPv4 address), an IPv6 address by its
 * /64 (`2001:db8::1` and `2001:db8::2` are one client, `2001:db8:0:1::1` another), and anything
 * else (no address, or a proxy header that carried none) as one shared `unknown` client.
 */
export function clientBucketOf(ip: string | undefined): string {
  if (ip === undefined || isIP(ip) === 0) return 'unknown';
  const address = ipaddr.process(ip);
  if (address.kind() === 'ipv4') return address.toString();
  const network = ipaddr.IPv6.networkAddressFromCIDR(`${address.toNormalizedString()}/${IPV6_CLIENT_PREFIX_LENGTH}`);
  return `${network.toString()}/${IPV6_CLIENT_PREFIX_LENGTH}`;
}
