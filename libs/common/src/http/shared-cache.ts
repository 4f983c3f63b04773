import { applyDecorators, Header, SetMetadata } from '@nestjs/common';
import { CACHE_CONTROL_HEADER } from './no-store.js';

/** Marks a route as `@SharedCache()`: the OpenAPI document and the conditional-GET hook read it. */
export const SHARED_CACHE_KEY = 'http:shared-cache';

/** What every answer to an authenticated request says, unless its route says `no-store` itself. */
export const PRIVATE_NO_STORE = 'private, no-store';

export interface SharedCachePolicy {
  /** How long a browser may reuse the answer without asking again. */
  maxAgeSeconds: number;
  /** How long a shared cache (a CDN, a reverse proxy) may. */
  sharedMaxAgeSeconds: number;
}

/** The `Cache-Control` value of a policy. */
export function sharedCacheControl({ maxAgeSeconds, sharedMaxAgeSeconds }: SharedCachePolicy): string {
  return `public, max-age=${maxAgeSeconds}, s-maxage=${sharedMaxAgeSeconds}`;
}

/**
 * For a public read that is the same for every caller (the plans): `Cache-Control: public` with a
 * browser and a shared max-age, an `ETag`, and `304 Not Modified` to an `If-None-Match` that
 * matches it, so a CDN in front keeps it and revalidates it cheaply.
 */
export function SharedCache(policy: SharedCachePolicy): MethodDecorator {
  return applyDecorators(
    Header(CACHE_CONTROL_HEADER, sharedCacheControl(policy)),
    SetMetadata(SHARED_CACHE_KEY, policy),
  );
}
