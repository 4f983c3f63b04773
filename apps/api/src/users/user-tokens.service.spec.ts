import { beforeEach, describe, expect, it, vi } from 'vitest';
import { hashOpaqueToken } from '@app/common';
import { makeUserToken } from '../../../../test/utils/builders.js';
import type { UserTokensRepository } from './user-tokens.repository.js';
import { UserTokensService } from './user-tokens.service.js';
import { InvalidUserTokenError } from './users.errors.js';

function makeRepository() {
  return {
    replace: vi.fn<UserTokensRepository['replace']>(),
    add: vi.fn<UserTokensRepository['add']>(),
    retireIssuedAfter: vi.fn<UserTokensRepository['retireIssuedAfter']>(),
    findValid: vi.fn<UserTokensRepository['findValid']>(),
    consume: vi.fn<UserTokensRepository['consume']>(),
  };
}

describe(UserTokensService.name, () => {
  let repository: ReturnType<typeof makeRepository>;
  let sut: UserTokensService;

  beforeEach(() => {
    repository = makeRepository();
    repository.replace.mockResolvedValue(undefined);
    repository.add.mockResolvedValue(undefined);
    repository.retireIssuedAfter.mockResolvedValue(undefined);
    sut = new UserTokensService(repository as unknown as UserTokensRepository);
  });

  describe('issue', () => {
    it('stores only the token’s hash, expiring after the ttl, replacing the user’s earlier ones', async () => {
      const before = Date.now();

      const token = await sut.issue('user-1', 'PASSWORD_RESET', 'owner@example.com', 3_600);

      expect(repository.add).not.toHaveBeenCalled();
      const stored = repository.replace.mock.calls[0]![0];
      expect(stored).toMatchObject({ userId: 'user-1', purpose: 'PASSWORD_RESET', email: 'owner@example.com' });
      expect(stored.tokenHash).toBe(hashOpaqueToken(token));
      expect(stored.expiresAt.getTime()).toBeGreaterThanOrEqual(before + 3_600_000);
      expect(stored.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 3_600_000);
    });

    it('keeps the earlier ones with keepEarlier', async () => {
      const token = await sut.issue('user-1', 'EMAIL_CHANGE_CANCEL', 'owner@example.com', 60, { keepEarlier: true });

      expect(repository.replace).not.toHaveBeenCalled();
      expect(repository.add).toHaveBeenCalledWith(expect.objectContaining({ tokenHash: hashOpaqueToken(token) }));
    });

    it('answers a new token each time', async () => {
      const a = await sut.issue('user-1', 'PASSWORD_RESET', 'owner@example.com', 60);
      const b = await sut.issue('user-1', 'PASSWORD_RESET', 'owner@example.com', 60);

      expect(a).not.toBe(b);
    });
  });

  describe.each(['peek', 'consume'] as const)('%s', (method) => {
    const lookup = method === 'peek' ? 'findValid' : 'consume';

    it('looks the token up by its hash, for the purposes asked, now', async () => {
      const record = makeUserToken();
      repository[lookup].mockResolvedValue(record);

      await expect(sut[method]('the-token', ['EMAIL_CHANGE', 'EMAIL_VERIFICATION'])).resolves.toBe(record);
      expect(repository[lookup]).toHaveBeenCalledWith(
        hashOpaqueToken('the-token'),
        ['EMAIL_CHANGE', 'EMAIL_VERIFICATION'],
        expect.any(Date),
      );
    });

    it('throws INVALID_OR_EXPIRED_TOKEN for an unknown, expired, used or wrong-purpose token', async () => {
      repository[lookup].mockResolvedValue(null);

      await expect(sut[method]('the-token', ['PASSWORD_RESET'])).rejects.toThrow(InvalidUserTokenError);
    });
  });

  it('peek leaves the token usable: it never consumes', async () => {
    repository.findValid.mockResolvedValue(makeUserToken());

    await sut.peek('the-token', ['PASSWORD_RESET']);

    expect(repository.consume).not.toHaveBeenCalled();
  });

  it('retireIssuedAfter retires the user’s tokens of the record’s purpose issued after it', async () => {
    const record = makeUserToken({ purpose: 'EMAIL_CHANGE_CANCEL' });

    await sut.retireIssuedAfter(record);

    expect(repository.retireIssuedAfter).toHaveBeenCalledWith(record.userId, 'EMAIL_CHANGE_CANCEL', record.createdAt);
  });
});
