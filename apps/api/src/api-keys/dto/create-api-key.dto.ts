import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  ArrayUnique,
  IsArray,
  IsIn,
  IsInt,
  IsString,
  Length,
  Matches,
  Max,
  Min,
} from 'class-validator';
import { MAX_API_KEY_LIFETIME_SECONDS } from '@app/config';
import { API_KEY_SCOPES, type ApiKeyScope } from '../../iam/permissions.js';
import { API_KEY_NAME_MAX_LENGTH, API_KEY_NAME_PATTERN } from './api-key-fields.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

/** The longest lifetime any configuration allows, in days; `API_KEY_MAX_LIFETIME` may lower it. */
export const MAX_API_KEY_LIFETIME_DAYS = MAX_API_KEY_LIFETIME_SECONDS / 86_400;

export class CreateApiKeyDto {
  /** What the key is for (shown in the list), on one line. */
  @Transform(trim)
  @IsString()
  @Length(1, API_KEY_NAME_MAX_LENGTH)
  @Matches(API_KEY_NAME_PATTERN, { message: 'name must be on one line' })
  @ApiProperty({ maxLength: API_KEY_NAME_MAX_LENGTH, pattern: API_KEY_NAME_PATTERN.source })
  name: string;

  /** The permissions the key may use: at least one, each held by the caller's role. */
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(API_KEY_SCOPES.length)
  @ArrayUnique()
  @IsIn(API_KEY_SCOPES, { each: true })
  @ApiProperty({
    enum: API_KEY_SCOPES,
    enumName: 'ApiKeyScope',
    isArray: true,
    minItems: 1,
    maxItems: API_KEY_SCOPES.length,
    uniqueItems: true,
  })
  scopes: ApiKeyScope[];

  /** Days until the key expires; at most `API_KEY_MAX_LIFETIME` (365 by default). */
  @IsInt()
  @Min(1)
  @Max(MAX_API_KEY_LIFETIME_DAYS)
  @ApiProperty({ type: 'integer', format: 'int32', minimum: 1, maximum: MAX_API_KEY_LIFETIME_DAYS })
  expiresInDays: number;
}
