import { looksLikeApiKey } from './api-key-format.js';

type Headers = Record<string, string | string[] | undefined>;

/** The request carries an API key that cannot be taken as one (both headers, or a repeated header). */
export class AmbiguousApiKey extends Error {}

const BEARER = /^Bearer +(\S+)$/i;

/**
 * The API key a request presents, if it presents one: `X-API-Key: <key>`, or
 * `Authorization: Bearer <key>` when the credential starts with the key prefix (a JWT keeps its
 * path). Undefined when the request carries no key; {@link AmbiguousApiKey} when it sends a key
 * together with an `Authorization` header, or the header twice.
 */
export function presentedApiKey(headers: Headers): string | undefined {
  const header = headers['x-api-key'];
  const authorization = headers.authorization;
  if (Array.isArray(header) || Array.isArray(authorization)) throw new AmbiguousApiKey();
  if (header !== undefined) {
    if (authorization !== undefined) throw new AmbiguousApiKey();
    return header;
  }
  const bearer = authorization === undefined ? undefined : BEARER.exec(authorization)?.[1];
  return bearer !== undefined && looksLikeApiKey(bearer) ? bearer : undefined;
}

/** {@link presentedApiKey}, or undefined when ambiguous: what the per-key rate limit counts by. */
export function presentedApiKeyToCount(headers: Headers): string | undefined {
  try {
    return presentedApiKey(headers);
  } catch (error) {
    if (error instanceof AmbiguousApiKey) return undefined;
    throw error;
  }
}
