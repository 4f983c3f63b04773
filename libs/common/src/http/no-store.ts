import { applyDecorators, Header } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const CACHE_CONTROL_HEADER = 'Cache-Control';
/** Marks an operation as `@NoStore()` in the generated spec (read and removed by `finalizeDocument`). */
export const NO_STORE_EXTENSION = 'x-no-store';

/**
 * For a route whose answer carries a credential or a bearer link (tokens, a checkout or portal
 * URL, a hosted invoice link): `Cache-Control: no-store`, so no browser or proxy cache keeps it
 * (OWASP ASVS 5.0 14.3.2), documented as a required header of its 2xx responses.
 */
export function NoStore(): MethodDecorator {
  return applyDecorators(Header(CACHE_CONTROL_HEADER, 'no-store'), ApiExtension(NO_STORE_EXTENSION, true));
}
