import { Transform } from 'class-transformer';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';
import { IsAcceptablePassword } from '../password/password-policy.js';

const trim = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.trim() : value);

export class RegisterDto {
  /** Sign-in email; compared case-insensitively. */
  @Transform(trim)
  @IsEmail()
  @MaxLength(254)
  email: string;

  /** 8 to 128 characters, not a common password, not built from the email or name. */
  @IsAcceptablePassword({ emailProperty: 'email', nameProperty: 'name' })
  password: string;

  /** Display name. */
  @Transform(trim)
  @IsString()
  @Length(1, 100)
  name: string;
}
