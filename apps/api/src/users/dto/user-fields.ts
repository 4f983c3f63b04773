import { applyDecorators } from '@nestjs/common';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, MaxLength } from 'class-validator';
import {
  IsOptionalNotNull,
  NoInvisibleCharacters,
  NoLookAlikeCombiningMarks,
  NoReservedEmailDomain,
  normalizeEmailInput,
  ONE_LINE_TEXT,
} from '@app/common';

/** RFC 5321's practical limit on an address (a path is at most 256 octets, minus the brackets). */
export const EMAIL_MAX_LENGTH = 254;
/** Display names: long enough for real names, short enough for any UI. */
export const NAME_MAX_LENGTH = 100;
/** Trimmed, on one line: a name ends up in email greetings and headers. */
export const NAME_PATTERN = ONE_LINE_TEXT;

/**
 * A request field carrying an email address, wherever one enters the API: normalised as it is
 * stored (NFKC, trimmed, lower-cased); refused when it contains an invisible or blank-looking
 * character, or a combining mark that imitates a Latin, Greek or Cyrillic letter, or when it is
 * under the reserved `.invalid` domain (which never receives mail, and holds the placeholders of
 * deleted accounts); then checked as an address. Optional: may be left out, never `null`.
 * Declares the shape in OpenAPI.
 */
export function IsAccountEmail(options: { optional?: boolean } = {}): PropertyDecorator {
  const shape = { format: 'email', maxLength: EMAIL_MAX_LENGTH };
  return applyDecorators(
    ...(options.optional ? [IsOptionalNotNull(), ApiPropertyOptional(shape)] : [ApiProperty(shape)]),
    Transform(normalizeEmailInput),
    NoInvisibleCharacters(),
    NoLookAlikeCombiningMarks(),
    NoReservedEmailDomain(),
    IsEmail(),
    MaxLength(EMAIL_MAX_LENGTH),
  );
}
