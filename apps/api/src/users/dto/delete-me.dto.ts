import { ApiProperty } from '@nestjs/swagger';
import { IsString, MaxLength, MinLength } from 'class-validator';

export class DeleteMeDto {
  /** The current password, to confirm the deletion. */
  @IsString()
  @MinLength(1)
  @MaxLength(1024)
  @ApiProperty({ format: 'password' })
  password: string;
}
