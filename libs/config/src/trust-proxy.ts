import proxyAddr from '@fastify/proxy-addr';
import ipaddr from 'ipaddr.js';

/**
 * Which `X-Forwarded-*` hops the API believes, from `TRUST_PROXY`:
 * - `false`: none; `request.ip` is the peer's address (no proxy in front);
 * - a number: that many proxies in front; the address the outermost of them saw is the client's
 *   (`1` for one nginx that appends `$remote_addr` to `X-Forwarded-For`);
 * - a list of addresses, CIDRs or proxy-addr's names (`loopback`, `linklocal`, `uniquelocal`):
 *   hops from those addresses are proxies, the first other address from the right is the client's
 *   (production refuses ranges too wide to be proxies: {@link tooWideTrustedRanges});
 * - `true`: every hop, so the leftmost entry, which the client writes itself (development only).
 */
export type TrustProxySetting = boolean | number | readonly string[];

/** More proxies than this in front of one API is a typo. */
const MAX_TRUSTED_HOPS = 10;

/** The safe forms, named by the production refusals of `true` and of ranges too wide to be proxies. */
export const TRUST_PROXY_SAFE_FORMS =
  'the number of proxies in front (1 for one nginx) or their addresses/CIDRs (e.g. 10.0.0.5 or 10.0.0.0/8, loopback)';

export type ParsedTrustProxy = { ok: true; value: TrustProxySetting } | { ok: false; problem: string };

export function parseTrustProxy(raw: string): ParsedTrustProxy {
  const value = raw.trim().toLowerCase();
  if (value === 'false' || value === 'no' || value === '0') return { ok: true, value: false };
  if (value === 'true' || value === 'yes') return { ok: true, value: true };
  if (/^\d+$/.test(value)) {
    const hops = Number(value);
    return hops <= MAX_TRUSTED_HOPS
      ? { ok: true, value: hops }
      : { ok: false, problem: `a hop count must be at most ${MAX_TRUSTED_HOPS}` };
  }
  const addresses = value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean);
  // proxy-addr (Fastify's own) parses the list; what it refuses, Fastify would refuse at boot.
  const invalid = addresses.filter((address) => {
    try {
      proxyAddr.compile([address]);
      return false;
    } catch {
      return true;
    }
  });
  if (addresses.length === 0 || invalid.length > 0) {
    return {
      ok: false,
      problem: `must be false, true, a hop count or a comma-separated list of proxy addresses/CIDRs${
        invalid.length > 0 ? ` (not an address or CIDR: ${invalid.join(', ')})` : ''
      }`,
    };
  }
  return { ok: true, value: addresses };
}

/** proxy-addr's named ranges: private by definition, so never too wide. */
const NAMED_RANGES = new Set(['loopback', 'linklocal', 'uniquelocal']);

/** The widest CIDR production trusts per family: a /8 of IPv4 (10.0.0.0/8), a /16 of IPv6. */
export const MIN_TRUSTED_PREFIX = { ipv4: 8, ipv6: 16 } as const;

/**
 * How much of each family all the listed CIDRs may cover together, in units of the widest one:
 * four /8s hold every private IPv4 range (10/8, 172.16/12, 192.168/16) and then some, while a list
 * of /8s covering the internet is refused like one /0.
 */
const MAX_TRUSTED_WIDEST_RANGES = 4;

const BITS = { ipv4: 32, ipv6: 128 } as const;
const IPV4_MAPPED = ipaddr.parseCIDR('::ffff:0:0/96');

/**
 * An IPv4 CIDR, or an IPv6 one, with its prefix length. An IPv6 range over IPv4-mapped addresses
 * (`::ffff:a.b.c.d`, how a dual-stack socket reports IPv4 clients) counts as the IPv4 range it
 * covers: `::ffff:0:0/96` is all of IPv4, and so is any wider IPv6 range around it.
 */
function rangeOf(entry: string): { family: 'ipv4' | 'ipv6'; prefix: number } {
  const slash = entry.lastIndexOf('/');
  const address = ipaddr.parse(slash === -1 ? entry : entry.slice(0, slash));
  const suffix = slash === -1 ? undefined : entry.slice(slash + 1);
  if (address.kind() === 'ipv4') {
    const prefix =
      suffix === undefined
        ? 32
        : /^\d+$/.test(suffix)
          ? Number(suffix)
          : (ipaddr.IPv4.parse(suffix).prefixLengthFromSubnetMask() ?? 0);
    return { family: 'ipv4', prefix };
  }
  const prefix = suffix === undefined ? 128 : Number(suffix);
  if (prefix <= IPV4_MAPPED[1] ? IPV4_MAPPED[0].match(address, prefix) : address.match(IPV4_MAPPED)) {
    // Covering ::ffff:0:0/96 whole (a /96 or wider around it) means every IPv4 address.
    return { family: 'ipv4', prefix: Math.max(0, prefix - IPV4_MAPPED[1]) };
  }
  return { family: 'ipv6', prefix };
}

/**
 * Why the listed proxies are too wide to be proxies, in production's eyes, or undefined: a CIDR
 * wider than {@link MIN_TRUSTED_PREFIX}, or CIDRs that together cover more than
 * {@link MAX_TRUSTED_WIDEST_RANGES} of the widest range allowed. Trusting such a range trusts
 * clients, who can then choose their address with `X-Forwarded-For` as with `true`. Named ranges
 * (`loopback`, `linklocal`, `uniquelocal`) are private addresses and always allowed. Undefined for
 * a boolean or a hop count.
 */
export function tooWideTrustedRanges(setting: TrustProxySetting): string | undefined {
  if (typeof setting !== 'object') return undefined;
  const tooWide: string[] = [];
  const covered = { ipv4: 0n, ipv6: 0n };
  for (const entry of setting) {
    if (NAMED_RANGES.has(entry)) continue;
    const { family, prefix } = rangeOf(entry);
    if (prefix < MIN_TRUSTED_PREFIX[family]) tooWide.push(entry);
    covered[family] += 1n << BigInt(BITS[family] - prefix);
  }
  if (tooWide.length > 0)
    return `wider than /${MIN_TRUSTED_PREFIX.ipv4} (IPv4) or /${MIN_TRUSTED_PREFIX.ipv6} (IPv6): ${tooWide.join(', ')}`;
  const overfull = (['ipv4', 'ipv6'] as const).filter(
    (family) =>
      covered[family] > BigInt(MAX_TRUSTED_WIDEST_RANGES) << BigInt(BITS[family] - MIN_TRUSTED_PREFIX[family]),
  );
  if (overfull.length === 0) return undefined;
  const widest = overfull.map(
    (family) =>
      `${MAX_TRUSTED_WIDEST_RANGES} /${MIN_TRUSTED_PREFIX[family]}s of ${family === 'ipv4' ? 'IPv4' : 'IPv6'}`,
  );
  return `together more than ${widest.join(' or ')}`;
}
