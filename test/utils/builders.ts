import { randomUUID } from 'node:crypto';
import { loadConfig, type AppConfig } from '@app/config';
import type { User } from '@app/database';
import type { ClientInfo } from '../../apps/api/src/iam/auth-user.js';
import type { RefreshTokenRecord, SessionRecord } from '../../apps/api/src/sessions/sessions.repository.js';
import type { UserTokenRecord } from '../../apps/api/src/users/user-tokens.repository.js';

/** Builder factories for unit tests: a valid default, overridden per test (`makeUser({ role: 'ADMIN' })`). */

const CREATED_AT = new Date('2026-01-02T03:04:05.000Z');

export function makeUser(overrides: Partial<User> = {}): User {
  return {
    id: randomUUID(),
    email: 'owner@example.com',
    name: 'Owner',
    passwordHash: '$argon2id$stored-hash',
    role: 'USER',
    status: 'ACTIVE',
    emailVerifiedAt: CREATED_AT,
    pendingEmail: null,
    passwordChangedAt: null,
    createdAt: CREATED_AT,
    updatedAt: CREATED_AT,
    deletedAt: null,
    ...overrides,
  };
}

export function makeUserToken(overrides: Partial<UserTokenRecord> = {}): UserTokenRecord {
  return {
    id: randomUUID(),
    userId: randomUUID(),
    purpose: 'PASSWORD_RESET',
    email: 'owner@example.com',
    createdAt: CREATED_AT,
    ...overrides,
  };
}

export function makeSession(overrides: Partial<SessionRecord> = {}): SessionRecord {
  const now = Date.now();
  return {
    id: randomUUID(),
    userId: randomUUID(),
    userAgent: 'jest',
    ip: '203.0.113.7',
    createdAt: new Date(now - 60_000),
    lastUsedAt: new Date(now - 60_000),
    idleExpiresAt: new Date(now + 3_600_000),
    absoluteExpiresAt: new Date(now + 86_400_000),
    revokedAt: null,
    ...overrides,
  };
}

/** A stored refresh token and its session; `user` overrides the session's owner (id, role, status). */
export function makeRefreshToken(
  overrides: { id?: string; rotatedAt?: Date | null; session?: Partial<SessionRecord> } & {
    user?: Partial<RefreshTokenRecord['session']['user']>;
  } = {},
): RefreshTokenRecord {
  const session = makeSession(overrides.session);
  return {
    id: overrides.id ?? randomUUID(),
    rotatedAt: overrides.rotatedAt ?? null,
    session: { ...session, user: { id: session.userId, role: 'USER', status: 'ACTIVE', ...overrides.user } },
  };
}

export function makeClient(overrides: Partial<ClientInfo> = {}): ClientInfo {
  return { ip: '203.0.113.7', userAgent: 'jest', ...overrides };
}

/** The validated configuration of the test environment, with optional env overrides. */
export function makeConfig(env: Record<string, string> = {}): AppConfig {
  return loadConfig({ NODE_ENV: 'test', ...env });
}
