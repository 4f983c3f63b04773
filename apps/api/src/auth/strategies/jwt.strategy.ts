import { createSecretKey } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '@app/config';
import { Role } from '@app/database';
import { ACCESS_TOKEN_ALGORITHM, ACCESS_TOKEN_TYPE } from '../../sessions/access-tokens.js';
import { RevokedSessions } from '../../sessions/revoked-sessions.js';
import { InvalidAccessTokenError } from '../../sessions/sessions.errors.js';
import type { AuthUser } from '../auth-user.js';

interface DecodedToken {
  header: { alg?: unknown; typ?: unknown };
  payload: Record<string, unknown>;
}

const ROLES: ReadonlySet<unknown> = new Set(Object.values(Role));

/**
 * Verifies access tokens: HS256 only (so `alg: none` and any other algorithm or key fail), our
 * issuer and audience, not expired, `typ: at+jwt` (an ID or refresh token is refused), then the
 * session's revocation, with one cache lookup.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  constructor(
    config: AppConfig,
    private readonly revokedSessions: RevokedSessions,
  ) {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      // A KeyObject, not the string: given a string, jsonwebtoken first tries to parse it as a
      // PEM public key on every verification, and that failed attempt cost ~30% of a request.
      secretOrKey: createSecretKey(Buffer.from(config.auth.jwtSecret, 'utf8')) as unknown as string,
      algorithms: [ACCESS_TOKEN_ALGORITHM],
      issuer: config.auth.jwtIssuer,
      audience: config.auth.jwtAudience,
      ignoreExpiration: false,
      // `complete` hands validate() the header too, for the `typ` check; maxAge bounds a token
      // minted with a longer lifetime than the one configured now.
      jsonWebTokenOptions: { complete: true, maxAge: config.auth.accessTokenTtlSeconds },
    });
  }

  async validate(token: DecodedToken): Promise<AuthUser> {
    const { header, payload } = token;
    const { sub, sid, role, jti } = payload;
    if (
      header.typ !== ACCESS_TOKEN_TYPE ||
      typeof sub !== 'string' ||
      typeof sid !== 'string' ||
      typeof jti !== 'string' ||
      !ROLES.has(role)
    ) {
      throw new InvalidAccessTokenError();
    }
    if (await this.revokedSessions.isRevoked(sid)) throw new InvalidAccessTokenError();
    return { id: sub, sessionId: sid, role: role as Role };
  }
}
