import proxyAddr from '@fastify/proxy-addr';

/**
 * Which `X-Forwarded-*` hops the API believes, from `TRUST_PROXY`:
 * - `false`: none; `request.ip` is the peer's address (no proxy in front);
 * - a number: that many proxies in front; the address the outermost of them saw is the client's
 *   (`1` for one nginx that appends `$remote_addr` to `X-Forwarded-For`);
 * - a list of addresses, CIDRs or proxy-addr's names (`loopback`, `linklocal`, `uniquelocal`):
 *   hops from those addresses are proxies, the first other address from the right is the client's;
 * - `true`: every hop, so the leftmost entry, which the client writes itself (development only).
 */
export type TrustProxySetting = boolean | number | readonly string[];

/** More proxies than this in front of one API is a typo. */
export const MAX_TRUSTED_HOPS = 10;

/** The safe forms, named by the production refusal of `true`. */
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
