import { ApiProperty } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsString, Length, Matches } from 'class-validator';
import { IsAccountEmail, NAME_MAX_LENGTH, NAME_PATTERN } from '../../users/dto/user-fields.js';
import { IsAcceptablePassword } from '../password/password-policy.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class RegisterDto {
  /** Sign-in email; compared case-insensitively. */
  @IsAccountEmail()
  email: string;

  /** 8 to 128 characters, not a common password, not built from the email or name. */
  @IsAcceptablePassword({ emailProperty: 'email', nameProperty: 'name' })
  password: string;

  /** Display name. */
  @Transform(trim)
  @IsString()
  @Length(1, NAME_MAX_LENGTH)
  @Matches(NAME_PATTERN, { message: 'name must be on one line' })
  @ApiProperty({ maxLength: NAME_MAX_LENGTH, pattern: NAME_PATTERN.source })
  name: string;
}
