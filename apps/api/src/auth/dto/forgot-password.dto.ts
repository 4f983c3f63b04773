import { IsAccountEmail } from '../../users/user-fields.js';

export class ForgotPasswordDto {
  @IsAccountEmail()
  email: string;
}
