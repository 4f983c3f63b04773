import { IsOpaqueToken } from '@app/common';
import { IsAcceptablePassword } from '../password/password-policy.js';

export class ResetPasswordDto {
  /** The token from the password reset email. */
  @IsOpaqueToken()
  token: string;

  /** 8 to 128 characters, not a common password. */
  @IsAcceptablePassword()
  newPassword: string;
}
