import { createSecretKey } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import { ExtractJwt, Strategy } from 'passport-jwt';
import { AppConfig } from '@app/config';
import { Role } from '@app/database';
import type { AuthUser } from '../auth-user.js';
import { InvalidAccessTokenError } from '../iam.errors.js';
import { RevokedSessions } from '../revocation/revoked-sessions.js';
import { ACCESS_TOKEN_ALGORITHM, ACCESS_TOKEN_TYPE } from './access-tokens.js';
import { VerifiedTokens } from './verified-tokens.js';

interface DecodedToken {
  header: { alg?: unknown; typ?: unknown };
  payload: Record<string, unknown>;
}

const ROLES: ReadonlySet<unknown> = new Set(Object.values(Role));

/**
 * How far a token's `iat` may lie ahead of this server's clock (another instance's clock may run a
 * little fast). Beyond it the token was minted for later, and would outlive `maxAge` from now.
 */
export const ACCESS_TOKEN_CLOCK_SKEW_SECONDS = 30;

const bearerToken = ExtractJwt.fromAuthHeaderAsBearerToken();

/** passport's typings name Express's request; what arrives here is Fastify's. */
type PassportRequest = Parameters<Strategy['authenticate']>[0];

/**
 * Verifies access tokens: HS256 only (so `alg: none` and any other algorithm or key fail), our
 * issuer and audience, not expired, `typ: at+jwt` (an ID or refresh token is refused), then the
 * session's revocation, with one cache lookup.
 *
 * A token that passed verification once is remembered ({@link VerifiedTokens}): seen again, only its
 * expiry is re-checked before `validate`, which runs on every request (claims, revocation).
 *
 * AccessTokenGuard runs this app's instance, through an object of its own per request that derives
 * from it: in `authenticate`, `this.success` and `this.error` answer that request.
 */
@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy, 'jwt') {
  private readonly verifiedTokens: VerifiedTokens<DecodedToken>;

  constructor(
    config: AppConfig,
    private readonly revokedSessions: RevokedSessions,
  ) {
    super({
      jwtFromRequest: bearerToken,
      // validate() receives the request, to remember the raw token it has just verified.
      passReqToCallback: true,
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
    this.verifiedTokens = new VerifiedTokens(config.auth.accessTokenTtlSeconds);
  }

  /** passport-jwt's flow, minus the signature verification for a token already verified. */
  override authenticate(request: PassportRequest, options?: unknown): void {
    const raw = bearerToken(request);
    const verified = raw ? this.verifiedTokens.get(raw) : undefined;
    if (verified === undefined) {
      super.authenticate(request, options);
      return;
    }
    // As passport-jwt's verify callback: a failure of success() is reported as an error too.
    this.check(verified)
      .then((user) => this.success(user))
      .catch((error: unknown) => this.error(error as Error));
  }

  /** Called by passport-jwt once the token's signature, issuer, audience and lifetime are verified. */
  async validate(request: FastifyRequest, token: DecodedToken): Promise<AuthUser> {
    const user = await this.check(token);
    const raw = bearerToken(request);
    if (raw) this.verifiedTokens.add(raw, token, token.payload);
    return user;
  }

  /**
   * What is checked on every request, remembered token or not: our claims (an `iat` ahead of the
   * clock by more than {@link ACCESS_TOKEN_CLOCK_SKEW_SECONDS} included), and the session's revocation.
   */
  private async check(token: DecodedToken): Promise<AuthUser> {
    const { header, payload } = token;
    const { sub, sid, role, jti, iat } = payload;
    if (
      header.typ !== ACCESS_TOKEN_TYPE ||
      typeof iat !== 'number' ||
      iat > Date.now() / 1000 + ACCESS_TOKEN_CLOCK_SKEW_SECONDS ||
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
