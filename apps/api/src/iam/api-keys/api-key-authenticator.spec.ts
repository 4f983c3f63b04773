import { beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import { makeConfig } from '../../../../../test/utils/builders.js';
import { InvalidApiKeyError } from '../iam.errors.js';
import { Permission } from '../permissions.js';
import { ApiKeyAuthenticator } from './api-key-authenticator.js';
import type { ApiKeyCredential, ApiKeyCredentialsRepository } from './api-key-credentials.repository.js';
import { API_KEY_PATTERN, hashApiKey, looksLikeApiKey, newApiKey } from './api-key-format.js';
import { presentedApiKey } from './presented-api-key.js';

const config = makeConfig({ API_KEY_LAST_USED_INTERVAL: '60s' });
const HOUR_MS = 3_600_000;

function makeCredential(overrides: Partial<ApiKeyCredential> = {}): ApiKeyCredential {
  return {
    id: 'key-1',
    userId: 'user-1',
    scopes: [Permission.ProfileRead],
    expiresAt: new Date(Date.now() + HOUR_MS),
    lastUsedAt: new Date(),
    revokedAt: null,
    owner: { role: 'USER', status: 'ACTIVE' },
    ...overrides,
  };
}

describe(ApiKeyAuthenticator.name, () => {
  const { key } = newApiKey();
  let keys: {
    findByHash: Mock<ApiKeyCredentialsRepository['findByHash']>;
    touch: Mock<ApiKeyCredentialsRepository['touch']>;
  };
  let sut: ApiKeyAuthenticator;

  beforeEach(() => {
    keys = {
      findByHash: vi.fn<ApiKeyCredentialsRepository['findByHash']>().mockResolvedValue(makeCredential()),
      touch: vi.fn<ApiKeyCredentialsRepository['touch']>().mockResolvedValue(undefined),
    };
    sut = new ApiKeyAuthenticator(keys as unknown as ApiKeyCredentialsRepository, config);
  });

  it('looks the key up by its SHA-256 and answers its owner with the key id and scopes', async () => {
    await expect(sut.authenticate(key)).resolves.toEqual({
      id: 'user-1',
      sessionId: null,
      role: 'USER',
      apiKey: { id: 'key-1', scopes: [Permission.ProfileRead] },
    });
    expect(keys.findByHash).toHaveBeenCalledWith(hashApiKey(key));
    expect(hashApiKey(key)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses a malformed key before any lookup', async () => {
    await expect(sut.authenticate(`${key}x`)).rejects.toThrow(InvalidApiKeyError);
    await expect(sut.authenticate('nsk_short_key')).rejects.toThrow(InvalidApiKeyError);
    expect(keys.findByHash).not.toHaveBeenCalled();
  });

  it.each([
    ['unknown', null],
    ['revoked', makeCredential({ revokedAt: new Date() })],
    ['expired', makeCredential({ expiresAt: new Date(Date.now() - 1) })],
    ['of a disabled owner', makeCredential({ owner: { role: 'USER', status: 'DISABLED' } })],
    ['of a deleted owner', makeCredential({ owner: { role: 'USER', status: 'DELETED' } })],
  ])('refuses a key %s as INVALID_API_KEY', async (_, found) => {
    keys.findByHash.mockResolvedValue(found);
    await expect(sut.authenticate(key)).rejects.toThrow(InvalidApiKeyError);
    expect(keys.touch).not.toHaveBeenCalled();
  });

  it('writes lastUsedAt only when it is older than the interval (or unset)', async () => {
    await sut.authenticate(key);
    expect(keys.touch).not.toHaveBeenCalled();

    keys.findByHash.mockResolvedValue(makeCredential({ lastUsedAt: new Date(Date.now() - 61_000) }));
    await sut.authenticate(key);
    keys.findByHash.mockResolvedValue(makeCredential({ lastUsedAt: null }));
    await sut.authenticate(key);
    expect(keys.touch).toHaveBeenCalledTimes(2);
    const [id, now, staleBefore] = keys.touch.mock.calls[0] ?? [];
    expect(id).toBe('key-1');
    expect(now!.getTime() - staleBefore!.getTime()).toBe(60_000);
  });

  it('drops stored scopes that are no longer key scopes', async () => {
    keys.findByHash.mockResolvedValue(makeCredential({ scopes: [Permission.ProfileRead, 'users:write'] }));
    await expect(sut.authenticate(key)).resolves.toMatchObject({ apiKey: { scopes: [Permission.ProfileRead] } });
  });
});

describe('API key format', () => {
  it('makes keys of prefix, public id and 44 base62 characters, different every time', () => {
    const keys = Array.from({ length: 50 }, () => newApiKey());
    for (const made of keys) {
      expect(made.key).toMatch(API_KEY_PATTERN);
      expect(made.key.split('_')[1]).toBe(made.publicId);
      expect(made.hash).toBe(hashApiKey(made.key));
      expect(looksLikeApiKey(made.key)).toBe(true);
    }
    expect(new Set(keys.map((made) => made.key)).size).toBe(50);
  });

  it('is found in X-API-Key, or as a bearer credential by its prefix (a JWT keeps its path)', () => {
    const { key } = newApiKey();
    expect(presentedApiKey({ 'x-api-key': key })).toBe(key);
    expect(presentedApiKey({ authorization: `Bearer ${key}` })).toBe(key);
    expect(presentedApiKey({ authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.e30.sig' })).toBeUndefined();
    expect(presentedApiKey({})).toBeUndefined();
    expect(() => presentedApiKey({ 'x-api-key': key, authorization: 'Bearer x' })).toThrow();
  });
});
