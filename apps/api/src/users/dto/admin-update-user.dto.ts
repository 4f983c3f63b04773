import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional } from 'class-validator';
import { Role, UserStatus } from '@app/database';

export const ADMIN_SETTABLE_STATUSES = [UserStatus.ACTIVE, UserStatus.DISABLED] as const;

export class AdminUpdateUserDto {
  /** Changing the role signs the user out everywhere. */
  @ApiPropertyOptional({ enum: Role, enumName: 'Role' })
  @IsOptional()
  @IsIn(Object.values(Role))
  role?: Role;

  /** `DISABLED` signs the user out everywhere at once and blocks sign-in. */
  @ApiPropertyOptional({ enum: ADMIN_SETTABLE_STATUSES })
  @IsOptional()
  @IsIn(ADMIN_SETTABLE_STATUSES)
  status?: (typeof ADMIN_SETTABLE_STATUSES)[number];
}
