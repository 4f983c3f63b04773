import { createHash, randomBytes } from 'node:crypto';
import { applyDecorators } from '@nestjs/common';
import { ApiProperty } from '@nestjs/swagger';
import { IsString, Matches } from 'class-validator';

/** Every token {@link newOpaqueToken} makes: 32 bytes in base64url, no padding. */
export const OPAQUE_TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;
const OPAQUE_TOKEN_LENGTH = 43;

/**
 * Opaque bearer secrets (refresh tokens, emailed tokens, checkout links): 256 random bits,
 * base64url (43 characters). Only their {@link hashOpaqueToken} is ever stored: with that much
 * entropy a fast hash is enough, and a leaked table reveals no usable token.
 */
export function newOpaqueToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashOpaqueToken(token) };
}

/**
 * A request field carrying one of our opaque tokens: anything that can't be one is a 400 before
 * any lookup. Declares the exact shape in OpenAPI.
 */
export function IsOpaqueToken(): PropertyDecorator {
  return applyDecorators(
    IsString(),
    Matches(OPAQUE_TOKEN_PATTERN, { message: '$property must be a 43-character token as issued' }),
    ApiOpaqueToken(),
  );
}

/** OpenAPI shape of an opaque token (request or response). */
export function ApiOpaqueToken(): PropertyDecorator {
  return ApiProperty({
    minLength: OPAQUE_TOKEN_LENGTH,
    maxLength: OPAQUE_TOKEN_LENGTH,
    pattern: OPAQUE_TOKEN_PATTERN.source,
  });
}

export function hashOpaqueToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}
