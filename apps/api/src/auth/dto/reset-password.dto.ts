import { IsString, Length } from 'class-validator';
import { IsAcceptablePassword } from '../password/password-policy.js';

export class ResetPasswordDto {
  /** The token from the password reset email. */
  @IsString()
  @Length(1, 512)
  token: string;

  /** 8 to 128 characters, not a common password. */
  @IsAcceptablePassword()
  newPassword: string;
}
