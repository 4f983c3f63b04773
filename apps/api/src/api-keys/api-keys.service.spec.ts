import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ValidationFailedError } from '@app/common';
import { makeApiKey, makeClient, makeConfig } from '../../../../test/utils/builders.js';
import { SecurityEventType, type SecurityEventsRepository } from '../audit/security-events.repository.js';
import { API_KEY_PATTERN, hashApiKey } from '../iam/api-keys/api-key-format.js';
import type { AuthUser } from '../iam/auth-user.js';
import { Permission } from '../iam/permissions.js';
import { ApiKeyLimitReachedError, ApiKeyNotFoundError, ApiKeyScopeNotHeldError } from './api-keys.errors.js';
import type { ApiKeysRepository } from './api-keys.repository.js';
import { ApiKeyRevocationReason, ApiKeysService } from './api-keys.service.js';

const DAY_MS = 86_400_000;

function makeCollaborators() {
  return {
    keys: {
      createWithinLimit: vi.fn<ApiKeysRepository['createWithinLimit']>(),
      listActive: vi.fn<ApiKeysRepository['listActive']>(),
      revoke: vi.fn<ApiKeysRepository['revoke']>(),
      revokeAll: vi.fn<ApiKeysRepository['revokeAll']>(),
    },
    events: { record: vi.fn<SecurityEventsRepository['record']>() },
  };
}

function makeCaller(overrides: Partial<AuthUser> = {}): AuthUser {
  return { id: 'user-1', sessionId: 'session-1', role: 'USER', ...overrides };
}

describe(ApiKeysService.name, () => {
  const config = makeConfig({ API_KEY_MAX_LIFETIME: '90d', API_KEY_MAX_PER_USER: '3' });
  const client = makeClient();
  let deps: ReturnType<typeof makeCollaborators>;
  let sut: ApiKeysService;

  beforeEach(() => {
    deps = makeCollaborators();
    deps.keys.createWithinLimit.mockImplementation(async (input) => makeApiKey({ ...input, id: 'key-1' }));
    deps.events.record.mockResolvedValue(undefined);
    sut = new ApiKeysService(
      deps.keys as unknown as ApiKeysRepository,
      deps.events as unknown as SecurityEventsRepository,
      config,
    );
  });

  describe('create', () => {
    const input = { name: 'CI', scopes: [Permission.ProfileRead, Permission.BillingRead], expiresInDays: 30 };

    it('stores only the hash of a new key, within the per-user limit, and answers the key once', async () => {
      const created = await sut.create(makeCaller(), input, client);

      const [stored, max] = deps.keys.createWithinLimit.mock.calls[0]!;
      expect(max).toBe(3);
      expect(created.key).toMatch(API_KEY_PATTERN);
      expect(stored).toMatchObject({
        userId: 'user-1',
        name: 'CI',
        scopes: input.scopes,
        keyHash: hashApiKey(created.key),
      });
      expect(created.key.split('_')[1]).toBe(stored.publicId);
      expect(JSON.stringify(stored)).not.toContain(created.key);
      expect(Math.round((stored.expiresAt.getTime() - Date.now()) / DAY_MS)).toBe(30);
      expect(created).toMatchObject({ id: 'key-1', publicId: stored.publicId, scopes: input.scopes, lastUsedAt: null });
    });

    it('records API_KEY_CREATED with the key id and scopes, never the key', async () => {
      const created = await sut.create(makeCaller(), input, client);

      expect(deps.events.record).toHaveBeenCalledWith({
        type: SecurityEventType.ApiKeyCreated,
        userId: 'user-1',
        actorId: 'user-1',
        sessionId: 'session-1',
        client,
        details: { apiKeyId: 'key-1', scopes: 'profile:read billing:read' },
      });
      expect(JSON.stringify(deps.events.record.mock.calls)).not.toContain(created.key);
    });

    it("refuses scopes the caller's role does not hold, before storing anything", async () => {
      const check = sut.create(
        makeCaller(),
        { ...input, scopes: [Permission.ProfileRead, Permission.UsersRead] },
        client,
      );
      await expect(check).rejects.toThrow(ApiKeyScopeNotHeldError);
      await expect(check).rejects.toMatchObject({ code: 'API_KEY_SCOPE_NOT_HELD', kind: 'validation' });
      expect(deps.keys.createWithinLimit).not.toHaveBeenCalled();
    });

    it('lets an administrator give the administrative read scopes', async () => {
      const scopes = [Permission.UsersRead, Permission.AuditRead];
      await expect(sut.create(makeCaller({ role: 'ADMIN' }), { ...input, scopes }, client)).resolves.toMatchObject({
        scopes,
      });
    });

    it('refuses an expiry past API_KEY_MAX_LIFETIME, and takes one at it', async () => {
      await expect(sut.create(makeCaller(), { ...input, expiresInDays: 91 }, client)).rejects.toThrow(
        ValidationFailedError,
      );
      expect(deps.keys.createWithinLimit).not.toHaveBeenCalled();
      await expect(sut.create(makeCaller(), { ...input, expiresInDays: 90 }, client)).resolves.toBeDefined();
    });

    it('answers API_KEY_LIMIT_REACHED when the owner holds the most active keys, recording nothing', async () => {
      deps.keys.createWithinLimit.mockResolvedValue(null);
      await expect(sut.create(makeCaller(), input, client)).rejects.toThrow(ApiKeyLimitReachedError);
      expect(deps.events.record).not.toHaveBeenCalled();
    });
  });

  it('lists the active keys without any secret', async () => {
    deps.keys.listActive.mockResolvedValue([makeApiKey({ id: 'key-1', lastUsedAt: new Date('2026-01-02T00:00:00Z') })]);

    const listed = await sut.listActive('user-1');

    expect(deps.keys.listActive).toHaveBeenCalledWith('user-1', expect.any(Date));
    expect(listed).toEqual([
      {
        id: 'key-1',
        name: 'CI',
        publicId: 'AbCdEfGhIjKl',
        scopes: ['profile:read'],
        createdAt: '2026-01-02T03:04:05.000Z',
        expiresAt: expect.any(String),
        lastUsedAt: '2026-01-02T00:00:00.000Z',
      },
    ]);
  });

  describe('revoke', () => {
    it("revokes one of the caller's keys and records it", async () => {
      deps.keys.revoke.mockResolvedValue(true);

      await sut.revoke(makeCaller(), 'key-1', client);

      expect(deps.keys.revoke).toHaveBeenCalledWith('user-1', 'key-1', expect.any(Date));
      expect(deps.events.record).toHaveBeenCalledWith({
        type: SecurityEventType.ApiKeyRevoked,
        userId: 'user-1',
        actorId: 'user-1',
        sessionId: 'session-1',
        client,
        details: { apiKeyId: 'key-1', reason: ApiKeyRevocationReason.RevokedByUser },
      });
    });

    it('answers API_KEY_NOT_FOUND for a key the caller does not own (or already revoked)', async () => {
      deps.keys.revoke.mockResolvedValue(false);
      await expect(sut.revoke(makeCaller(), 'key-1', client)).rejects.toThrow(ApiKeyNotFoundError);
      expect(deps.events.record).not.toHaveBeenCalled();
    });
  });

  describe('revokeAll', () => {
    it('revokes every key of a disabled user and records one event with the administrator as actor', async () => {
      deps.keys.revokeAll.mockResolvedValue(2);

      await sut.revokeAll('user-1', ApiKeyRevocationReason.UserDisabled, { actorId: 'admin-1', client });

      expect(deps.events.record).toHaveBeenCalledWith({
        type: SecurityEventType.ApiKeyRevoked,
        userId: 'user-1',
        actorId: 'admin-1',
        client,
        details: { reason: 'USER_DISABLED', count: 2 },
      });
    });

    it('records nothing when the user had no key', async () => {
      deps.keys.revokeAll.mockResolvedValue(0);
      await sut.revokeAll('user-1', ApiKeyRevocationReason.UserDeleted, { actorId: 'user-1' });
      expect(deps.events.record).not.toHaveBeenCalled();
    });
  });
});
