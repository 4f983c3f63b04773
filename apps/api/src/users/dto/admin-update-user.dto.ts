import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn } from 'class-validator';
import { IsOptionalNotNull } from '@app/common';
import { Role, UserStatus } from '@app/database';

export const ADMIN_SETTABLE_STATUSES = [UserStatus.ACTIVE, UserStatus.DISABLED] as const;

export class AdminUpdateUserDto {
  /** Changing the role signs the user out everywhere. */
  @ApiPropertyOptional({ enum: Role, enumName: 'Role' })
  @IsOptionalNotNull()
  @IsIn(Object.values(Role))
  role?: Role;

  /** `DISABLED` signs the user out everywhere at once and blocks sign-in. */
  @ApiPropertyOptional({ enum: ADMIN_SETTABLE_STATUSES })
  @IsOptionalNotNull()
  @IsIn(ADMIN_SETTABLE_STATUSES)
  status?: (typeof ADMIN_SETTABLE_STATUSES)[number];
}
