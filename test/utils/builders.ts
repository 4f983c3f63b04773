import { randomUUID } from 'node:crypto';
import { vi } from 'vitest';
import { Logger, type CallHandler, type ExecutionContext } from '@nestjs/common';
import { isObservable, of } from 'rxjs';
import { loadConfig, type AppConfig } from '@app/config';
import type { RedisConnection } from '@app/redis';
import type { ApiKey, SecurityEvent, User } from '@app/database';
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

/** A recorded security event: by default the account's own successful sign-in. */
export function makeSecurityEvent(overrides: Partial<SecurityEvent> = {}): SecurityEvent {
  const userId = overrides.userId ?? randomUUID();
  return {
    id: randomUUID(),
    userId,
    actorId: userId,
    type: 'LOGIN_SUCCEEDED',
    sessionId: null,
    ip: '203.0.113.7',
    userAgent: 'jest',
    details: null,
    createdAt: CREATED_AT,
    ...overrides,
  };
}

/** A stored API key: active, profile:read, 30 days left, never used. */
export function makeApiKey(overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    id: randomUUID(),
    userId: randomUUID(),
    name: 'CI',
    publicId: 'AbCdEfGhIjKl',
    keyHash: 'a'.repeat(64),
    scopes: ['profile:read'],
    expiresAt: new Date(Date.now() + 30 * 86_400_000),
    lastUsedAt: null,
    revokedAt: null,
    createdAt: CREATED_AT,
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

/** Logger output silenced for one test file; the spies tell what was logged (`logs.error`). */
export function silenceLogger() {
  return {
    log: vi.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined),
    warn: vi.spyOn(Logger.prototype, 'warn').mockImplementation(() => undefined),
    error: vi.spyOn(Logger.prototype, 'error').mockImplementation(() => undefined),
  };
}

/** An HTTP ExecutionContext for guards and interceptors: the request, the reply, and the route's handler and class. */
export function makeHttpContext({
  request = {},
  response = {},
  handler = function handler() {},
  controller = class Controller {},
}: { request?: object; response?: object; handler?: () => void; controller?: new () => unknown } = {}) {
  return {
    getType: () => 'http',
    getHandler: () => handler,
    getClass: () => controller,
    getArgs: () => [request, response],
    getArgByIndex: (index: number) => [request, response][index],
    switchToHttp: () => ({ getRequest: () => request, getResponse: () => response, getNext: () => undefined }),
  } as unknown as ExecutionContext;
}

/** A route handler for interceptors: answers `result` (an Observable or a value), and counts its calls. */
export function makeCallHandler(result: unknown = undefined) {
  const handle = vi.fn<CallHandler['handle']>(() => (isObservable(result) ? result : of(result)));
  return { handle };
}

/**
 * The Redis connection of an app without `REDIS_URL`: what @app/redis builds on it (failure
 * counters, marker sets) is its in-process stand-in, so a unit test runs the real counting.
 */
export function makeRedisConnectionWithoutRedis(): RedisConnection {
  return { client: undefined } as unknown as RedisConnection;
}
