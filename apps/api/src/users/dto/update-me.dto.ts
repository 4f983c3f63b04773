import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsEmail, IsOptional, IsString, Length, Matches, MaxLength } from 'class-validator';
import { EMAIL_MAX_LENGTH, NAME_MAX_LENGTH, NAME_PATTERN } from '../user-fields.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class UpdateMeDto {
  /** Display name. */
  @IsOptional()
  @Transform(trim)
  @IsString()
  @Length(1, NAME_MAX_LENGTH)
  @Matches(NAME_PATTERN, { message: 'name must be on one line' })
  @ApiPropertyOptional({ maxLength: NAME_MAX_LENGTH, pattern: NAME_PATTERN.source })
  name?: string;

  /** New email address: applied once confirmed through the link sent to it. */
  @IsOptional()
  @Transform(trim)
  @IsEmail()
  @MaxLength(EMAIL_MAX_LENGTH)
  email?: string;
}
