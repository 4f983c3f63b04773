import { BoundedMap } from '@app/common';

/** How many verified access tokens one process remembers; the oldest entry goes first beyond it. */
const VERIFIED_TOKENS_MAX_ENTRIES = 10_000;

interface VerifiedToken<T> {
  decoded: T;
  /** Epoch seconds from which jsonwebtoken would refuse the token: its `exp` or `iat + maxAge`. */
  expiresAt: number;
}

/**
 * Access tokens whose signature, algorithm, issuer and audience were already verified, so a token
 * seen again skips re-verifying what cannot change. What can change is still checked on every use:
 * expiry here (the same `now >= exp` and `now >= iat + maxAge` rules as jsonwebtoken, after which
 * the entry is dropped and the token goes through full verification, which refuses it), and
 * revocation by the caller. Keyed by the exact token string; only verified tokens get in, and at
 * most {@link VERIFIED_TOKENS_MAX_ENTRIES} of them.
 */
export class VerifiedTokens<T> {
  private readonly entries: BoundedMap<string, VerifiedToken<T>>;

  constructor(
    private readonly maxAgeSeconds: number,
    maxEntries = VERIFIED_TOKENS_MAX_ENTRIES,
  ) {
    this.entries = new BoundedMap(maxEntries);
  }

  /** The decoded token if it was verified and has not expired since. */
  get(token: string, nowMs = Date.now()): T | undefined {
    const entry = this.entries.get(token);
    if (entry === undefined) return undefined;
    if (Math.floor(nowMs / 1000) >= entry.expiresAt) {
      this.entries.delete(token);
      return undefined;
    }
    return entry.decoded;
  }

  /** Remembers a token that has just passed full verification, with its `iat` and `exp` claims. */
  add(token: string, decoded: T, claims: { iat?: unknown; exp?: unknown }): void {
    const { iat, exp } = claims;
    // jsonwebtoken requires `iat` with maxAge; without a number here nothing bounds the entry.
    if (typeof iat !== 'number') return;
    const expiresAt = typeof exp === 'number' ? Math.min(exp, iat + this.maxAgeSeconds) : iat + this.maxAgeSeconds;
    this.entries.set(token, { decoded, expiresAt });
  }
}
