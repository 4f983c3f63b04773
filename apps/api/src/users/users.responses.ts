import type { User } from '@app/database';
import type { AdminUserResponseDto, UserResponseDto } from './dto/user-response.dto.js';

export function toUserResponse(user: User): UserResponseDto {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    role: user.role,
    status: user.status,
    emailVerified: user.emailVerifiedAt !== null,
    pendingEmail: user.pendingEmail,
    createdAt: user.createdAt.toISOString(),
    updatedAt: user.updatedAt.toISOString(),
  };
}

export function toAdminUserResponse(user: User): AdminUserResponseDto {
  return { ...toUserResponse(user), deletedAt: user.deletedAt?.toISOString() ?? null };
}
