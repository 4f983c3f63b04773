import { Role } from '@app/database';

/**
 * Every permission the API checks, and which roles hold it: the one place to add a permission or
 * grant it to a role. (A new role also needs a value in the `Role` enum of prisma/schema.prisma and
 * a migration; the compiler then asks for its entry here.)
 */
export const Permission = {
  /** Read one's own account and security events (every role; what an API key can be given). */
  ProfileRead: 'profile:read',
  /** Read one's own subscription, invoices and entitlements (every role). */
  BillingRead: 'billing:read',
  UsersRead: 'users:read',
  UsersWrite: 'users:write',
  BillingManage: 'billing:manage',
  /** Read the whole security event log (`GET /v1/security-events`). */
  AuditRead: 'audit:read',
} as const;
export type Permission = (typeof Permission)[keyof typeof Permission];

export const ROLE_PERMISSIONS: Readonly<Record<Role, readonly Permission[]>> = {
  [Role.USER]: [Permission.ProfileRead, Permission.BillingRead],
  [Role.ADMIN]: Object.values(Permission),
};

export function hasPermissions(role: Role, required: readonly Permission[]): boolean {
  const granted = ROLE_PERMISSIONS[role];
  return required.every((permission) => granted.includes(permission));
}

/**
 * The permissions an API key may be given (its scopes): read-only ones, each accepted by the routes
 * marked `@ApiKeyScope(scope)`. A key is limited to the scopes it was created with that its owner's
 * role still holds; every other route refuses keys.
 */
export const API_KEY_SCOPES = [
  Permission.ProfileRead,
  Permission.BillingRead,
  Permission.UsersRead,
  Permission.AuditRead,
] as const satisfies readonly Permission[];
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];
