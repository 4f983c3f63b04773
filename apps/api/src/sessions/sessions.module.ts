import { Module } from '@nestjs/common';
import { JwtModule } from '@nestjs/jwt';
import { AppConfig } from '@app/config';
import { ACCESS_TOKEN_ALGORITHM, ACCESS_TOKEN_TYPE, AccessTokens } from './access-tokens.js';
import { RevokedSessions } from './revoked-sessions.js';
import { SecurityEventsRepository } from './security-events.repository.js';
import { SessionsController } from './sessions.controller.js';
import { SessionsRepository } from './sessions.repository.js';
import { SessionsService } from './sessions.service.js';

@Module({
  imports: [
    JwtModule.registerAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        secret: config.auth.jwtSecret,
        signOptions: {
          algorithm: ACCESS_TOKEN_ALGORITHM,
          issuer: config.auth.jwtIssuer,
          audience: config.auth.jwtAudience,
          expiresIn: config.auth.accessTokenTtlSeconds,
          header: { alg: ACCESS_TOKEN_ALGORITHM, typ: ACCESS_TOKEN_TYPE },
        },
      }),
    }),
  ],
  controllers: [SessionsController],
  providers: [SessionsService, SessionsRepository, AccessTokens, RevokedSessions, SecurityEventsRepository],
  exports: [SessionsService, RevokedSessions, SecurityEventsRepository],
})
export class SessionsModule {}
