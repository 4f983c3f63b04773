import { Injectable } from '@nestjs/common';
import { hashOpaqueToken, newOpaqueToken } from '@app/common';
import type { UserTokenPurpose } from '@app/database';
import { InvalidUserTokenError } from './users.errors.js';
import { UserTokensRepository, type UserTokenRecord } from './user-tokens.repository.js';

/** Emailed single-use tokens: 256 random bits, only the sha256 is stored. */
@Injectable()
export class UserTokensService {
  constructor(private readonly tokens: UserTokensRepository) {}

  /**
   * A new token, mailed by the caller. It replaces the user's unused ones of the same purpose,
   * unless `keepEarlier` (each stays valid: a cancel link must survive the changes made after it).
   */
  async issue(
    userId: string,
    purpose: UserTokenPurpose,
    email: string,
    ttlSeconds: number,
    options: { keepEarlier?: boolean } = {},
  ): Promise<string> {
    const { token, hash } = newOpaqueToken();
    const record = { userId, purpose, email, tokenHash: hash, expiresAt: new Date(Date.now() + ttlSeconds * 1000) };
    await (options.keepEarlier ? this.tokens.add(record) : this.tokens.replace(record));
    return token;
  }

  /** Retires the user's unused tokens of `record`'s purpose issued after it. */
  retireIssuedAfter(record: UserTokenRecord): Promise<void> {
    return this.tokens.retireIssuedAfter(record.userId, record.purpose, record.createdAt);
  }

  /**
   * The token's record, left usable (e.g. to validate the rest of a request before `consume`).
   * Throws the same error as `consume` for an unknown, expired, used or wrong-purpose token.
   */
  async peek(token: string, purposes: UserTokenPurpose[]): Promise<UserTokenRecord> {
    const record = await this.tokens.findValid(hashOpaqueToken(token), purposes, new Date());
    if (!record) throw new InvalidUserTokenError();
    return record;
  }

  /** Throws the same error for an unknown, expired, used or wrong-purpose token. */
  async consume(token: string, purposes: UserTokenPurpose[]): Promise<UserTokenRecord> {
    const record = await this.tokens.consume(hashOpaqueToken(token), purposes, new Date());
    if (!record) throw new InvalidUserTokenError();
    return record;
  }
}
