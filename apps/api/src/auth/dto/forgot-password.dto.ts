import { IsEmail, MaxLength } from 'class-validator';
import { EMAIL_MAX_LENGTH } from '../../users/user-fields.js';

export class ForgotPasswordDto {
  @IsEmail()
  @MaxLength(EMAIL_MAX_LENGTH)
  email: string;
}
