import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { JwtService, type JwtModuleOptions } from '@nestjs/jwt';
import type { AppConfig } from '@app/config';
import type { Role } from '@app/database';

/** The JOSE `typ` of our access tokens (RFC 9068); the verifier refuses any other. */
export const ACCESS_TOKEN_TYPE = 'at+jwt';
export const ACCESS_TOKEN_ALGORITHM = 'HS256';

/** Claims we add; `iss`, `aud`, `iat` and `exp` come from the JwtModule options. */
export interface AccessTokenClaims {
  sub: string;
  sid: string;
  role: Role;
  jti: string;
}

/** How access tokens are signed: the JwtModule options of IamModule. */
export function accessTokenJwtOptions(config: AppConfig): JwtModuleOptions {
  return {
    secret: config.auth.jwtSecret,
    signOptions: {
      algorithm: ACCESS_TOKEN_ALGORITHM,
      issuer: config.auth.jwtIssuer,
      audience: config.auth.jwtAudience,
      expiresIn: config.auth.accessTokenTtlSeconds,
      header: { alg: ACCESS_TOKEN_ALGORITHM, typ: ACCESS_TOKEN_TYPE },
    },
  };
}

@Injectable()
export class AccessTokens {
  constructor(private readonly jwt: JwtService) {}

  sign(user: { id: string; role: Role }, sessionId: string): Promise<string> {
    const claims: AccessTokenClaims = { sub: user.id, sid: sessionId, role: user.role, jti: randomUUID() };
    return this.jwt.signAsync(claims);
  }
}
