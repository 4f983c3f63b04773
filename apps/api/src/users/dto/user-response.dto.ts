import { ApiProperty } from '@nestjs/swagger';
import { Role, UserStatus } from '@app/database';
import { EMAIL_MAX_LENGTH, NAME_MAX_LENGTH, NAME_PATTERN } from './user-fields.js';

/** An account as its owner sees it. Never carries a password or token hash. */
export class UserResponseDto {
  @ApiProperty({ format: 'uuid' })
  id: string;

  /** Current (verified or not) email address. */
  @ApiProperty({ format: 'email', maxLength: EMAIL_MAX_LENGTH })
  email: string;

  /** Display name (`Deleted user` once the account is deleted). */
  @ApiProperty({ maxLength: NAME_MAX_LENGTH, pattern: NAME_PATTERN.source })
  name: string;

  @ApiProperty({ enum: Role, enumName: 'Role' })
  role: Role;

  @ApiProperty({ enum: UserStatus, enumName: 'UserStatus' })
  status: UserStatus;

  /** Whether `email` has been confirmed from its inbox. */
  emailVerified: boolean;

  /** An email change waiting for confirmation from the new address. */
  @ApiProperty({ format: 'email', maxLength: EMAIL_MAX_LENGTH, nullable: true, type: String })
  pendingEmail: string | null;

  @ApiProperty({ format: 'date-time' })
  createdAt: string;

  @ApiProperty({ format: 'date-time' })
  updatedAt: string;
}

/** An account as an administrator sees it. */
export class AdminUserResponseDto extends UserResponseDto {
  /** When the account was deleted (its personal data is then scrubbed). */
  @ApiProperty({ format: 'date-time', nullable: true, type: String })
  deletedAt: string | null;
}
