import { ApiProperty } from '@nestjs/swagger';
import { IsString, Length, Matches } from 'class-validator';
import { IsOptionalNotNull } from '@app/common';
import { IsAccountEmail } from '../../users/dto/user-fields.js';
import { ApiDeviceToken, DEVICE_TOKEN_PATTERN } from '../lockout/device-tokens.js';

export class LoginDto {
  @IsAccountEmail()
  email: string;

  @IsString()
  @Length(1, 1024)
  @ApiProperty({ format: 'password' })
  password: string;

  /**
   * The `deviceToken` an earlier sign-in of this account on this device returned (for clients
   * that don't keep cookies; browsers send the `device_token` cookie instead). A device that has
   * one is not locked out by failed sign-ins from other clients.
   */
  @IsOptionalNotNull()
  @IsString()
  @Matches(DEVICE_TOKEN_PATTERN, { message: '$property must be a device token as issued' })
  @ApiDeviceToken()
  deviceToken?: string;
}
