import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length } from 'class-validator';
import { IsAccountEmail } from '../../users/user-fields.js';

export class LoginDto {
  @IsAccountEmail()
  email: string;

  @IsString()
  @Length(1, 1024)
  @ApiProperty({ format: 'password' })
  password: string;
}
