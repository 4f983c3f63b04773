import { IsAccountEmail } from '../../users/dto/user-fields.js';

export class ForgotPasswordDto {
  @IsAccountEmail()
  email: string;
}
