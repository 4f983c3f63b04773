import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { IsAcceptablePassword } from '../password/password-policy.js';

export class ChangePasswordDto {
  @IsString()
  @Length(1, 1024)
  @ApiProperty({ format: 'password' })
  currentPassword: string;

  /** 8 to 128 characters, not a common password. */
  @IsAcceptablePassword()
  newPassword: string;
}
