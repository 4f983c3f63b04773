import { Injectable } from '@nestjs/common';
import { hashOpaqueToken, newOpaqueToken } from '@app/common';
import type { UserTokenPurpose } from '@app/database';
import { InvalidUserTokenError } from './users.errors.js';
import { UserTokensRepository, type UserTokenRecord } from './user-tokens.repository.js';

/** Emailed single-use tokens: 256 random bits, only the sha256 is stored. */
@Injectable()
export class UserTokensService {
  constructor(private readonly tokens: UserTokensRepository) {}

  async issue(userId: string, purpose: UserTokenPurpose, email: string, ttlSeconds: number): Promise<string> {
    const { token, hash } = newOpaqueToken();
    await this.tokens.replace({
      userId,
      purpose,
      email,
      tokenHash: hash,
      expiresAt: new Date(Date.now() + ttlSeconds * 1000),
    });
    return token;
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
