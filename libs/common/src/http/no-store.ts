import { applyDecorators, Header, SetMetadata } from '@nestjs/common';

export const CACHE_CONTROL_HEADER = 'Cache-Control';
/** Marks a route as `@NoStore()`: the OpenAPI document reads it to document the header. */
export const NO_STORE_KEY = 'http:no-store';

/**
 * For a route whose answer carries a credential or a bearer link (tokens, a checkout or portal
 * URL, a hosted invoice link): `Cache-Control: no-store`, so no browser or proxy cache keeps it
 * (OWASP ASVS 5.0 14.3.2), documented as a required header of its 2xx responses.
 */
export function NoStore(): MethodDecorator {
  return applyDecorators(Header(CACHE_CONTROL_HEADER, 'no-store'), SetMetadata(NO_STORE_KEY, true));
}
