import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { JwtModule } from '@nestjs/jwt';
import { AppConfig } from '@app/config';
import { ApiKeyAuthenticator } from './api-keys/api-key-authenticator.js';
import { ApiKeyCredentialsRepository } from './api-keys/api-key-credentials.repository.js';
import { AccessTokenGuard } from './access-tokens/access-token.guard.js';
import { AccessTokens, accessTokenJwtOptions } from './access-tokens/access-tokens.js';
import { JwtStrategy } from './access-tokens/jwt.strategy.js';
import { PasswordConfirmations } from './password-confirmations.js';
import { RevokedSessions } from './revocation/revoked-sessions.js';
import { RevokedSessionsRepository } from './revocation/revoked-sessions.repository.js';

/**
 * Identity and access: who is calling and may they. It signs and verifies access tokens, keeps the
 * revocation state every request is checked against, registers the global deny-by-default guard
 * (`@Public()` opens a route, `@Auth(...)` names the permissions it needs), and re-checks a signed-in
 * caller's password before sensitive changes (`PasswordConfirmations`, locked out after repeated
 * failures). The same guard authenticates API keys (`ApiKeyAuthenticator`) on the routes marked
 * `@ApiKeyScope(...)`. Features import its decorators and `AuthUser`; sessions import it to sign tokens and
 * record revocations. It imports no feature.
 */
@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: accessTokenJwtOptions,
    }),
  ],
  providers: [
    AccessTokens,
    ApiKeyAuthenticator,
    ApiKeyCredentialsRepository,
    JwtStrategy,
    PasswordConfirmations,
    RevokedSessions,
    RevokedSessionsRepository,
    { provide: APP_GUARD, useClass: AccessTokenGuard },
  ],
  exports: [AccessTokens, PasswordConfirmations, RevokedSessions],
})
export class IamModule {}
