import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Length, Matches } from 'class-validator';
import { IsOptionalNotNull } from '@app/common';
import { IsAccountEmail, NAME_MAX_LENGTH, NAME_PATTERN } from './user-fields.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class UpdateMeDto {
  /** Display name. */
  @IsOptionalNotNull()
  @Transform(trim)
  @IsString()
  @Length(1, NAME_MAX_LENGTH)
  @Matches(NAME_PATTERN, { message: 'name must be on one line' })
  @ApiPropertyOptional({ maxLength: NAME_MAX_LENGTH, pattern: NAME_PATTERN.source })
  name?: string;

  /** New email address: applied once confirmed through the link sent to it. Requires `currentPassword`. */
  @IsAccountEmail({ optional: true })
  email?: string;

  /** The current password: required with `email` (an email change re-authenticates); checked whenever sent. */
  @IsOptionalNotNull()
  @IsString()
  @Length(1, 1024)
  @ApiPropertyOptional({ format: 'password' })
  currentPassword?: string;
}
