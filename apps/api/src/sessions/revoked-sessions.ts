import { Injectable, Logger } from '@nestjs/common';
import { AppCache } from '@app/cache';
import { AppConfig } from '@app/config';
import { SessionsRepository } from './sessions.repository.js';

/**
 * The per-request revocation check: one cache lookup. Revoking a session writes a marker that
 * lives as long as any access token issued for it can; no database query on the hot path. Only
 * when the cache cannot answer (Redis down) does the check fall back to the database.
 */
@Injectable()
export class RevokedSessions {
  private readonly logger = new Logger(RevokedSessions.name);
  private readonly markerTtlSeconds: number;

  constructor(
    private readonly cache: AppCache,
    private readonly sessions: SessionsRepository,
    config: AppConfig,
  ) {
    this.markerTtlSeconds = config.auth.accessTokenTtlSeconds;
  }

  async isRevoked(sessionId: string): Promise<boolean> {
    const marker = await this.cache.read<true>(this.key(sessionId));
    if (marker.status === 'hit') return true;
    if (marker.status === 'miss') return false;
    return this.sessions.isRevoked(sessionId);
  }

  async mark(sessionIds: string[]): Promise<void> {
    const results = await Promise.all(
      sessionIds.map((id) => this.cache.set(this.key(id), true, this.markerTtlSeconds)),
    );
    if (results.includes(false)) {
      // Tokens of these sessions stay usable only while the cache is down *and* comes back without
      // the marker; they expire within the access-token lifetime anyway.
      this.logger.error(`Could not record revoked sessions in the cache: ${sessionIds.join(', ')}`);
    }
  }

  private key(sessionId: string): string {
    return this.cache.key('auth', 'revoked-session', sessionId);
  }
}
