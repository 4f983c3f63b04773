import { Role } from '@app/database';

/**
 * Every permission the API checks, and which roles hold it: the one place to add a permission or
 * grant it to a role. (A new role also needs a value in the `Role` enum of prisma/schema.prisma and
 * a migration; the compiler then asks for its entry here.)
 */
export const Permission = {
  UsersRead: 'users:read',
  UsersWrite: 'users:write',
  BillingManage: 'billing:manage',
  /** Read the whole security event log (`GET /v1/security-events`). */
  AuditRead: 'audit:read',
} as const;
export type Permission = (typeof Permission)[keyof typeof Permission];

export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  [Role.USER]: [],
  [Role.ADMIN]: Object.values(Permission),
};

export function hasPermissions(role: Role, required: readonly Permission[]): boolean {
  const granted = ROLE_PERMISSIONS[role];
  return required.every((permission) => granted.includes(permission));
}
