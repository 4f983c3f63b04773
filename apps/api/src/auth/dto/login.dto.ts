import { ApiProperty } from '@nestjs/swagger';
import { IsEmail, IsString, Length, MaxLength } from 'class-validator';
import { EMAIL_MAX_LENGTH } from '../../users/user-fields.js';

export class LoginDto {
  @IsEmail()
  @MaxLength(EMAIL_MAX_LENGTH)
  email: string;

  @IsString()
  @Length(1, 1024)
  @ApiProperty({ format: 'password' })
  password: string;
}
