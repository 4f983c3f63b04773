import { Module, type DynamicModule } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import { AppConfigModule, type AppConfig } from '@app/config';
import { DatabaseModule } from '@app/database';
import { AppCacheModule } from '@app/redis';
import { ApiKeysModule } from './api-keys/api-keys.module.js';
import { AuditModule } from './audit/audit.module.js';
import { AuthModule } from './auth/auth.module.js';
import { BillingModule } from './billing/billing.module.js';
import { loggerParams } from './core/logging.js';
import { RateLimitModule } from './core/rate-limit/rate-limit.module.js';
import { ShutdownModule } from './core/shutdown/shutdown.module.js';
import { HealthModule } from './health/health.module.js';
import { IamModule } from './iam/iam.module.js';
import { MailModule } from './mail/mail.module.js';
import { SeedModule } from './seed/seed.module.js';
import { UsersModule } from './users/users.module.js';

/**
 * The root module only wires things together. It receives the already validated configuration,
 * so `main.ts`, the OpenAPI generator and the tests each decide where configuration comes from.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        AppConfigModule.forRoot(config),
        LoggerModule.forRoot(loggerParams(config)),
        ShutdownModule,
        DatabaseModule,
        SeedModule,
        AppCacheModule,
        MailModule,
        // Global guards run in the order their modules are first imported: rate limits, then
        // authentication (IamModule's deny-by-default guard), so a flood is refused before any token work.
        RateLimitModule,
        IamModule,
        AuthModule,
        UsersModule,
        ApiKeysModule,
        AuditModule,
        BillingModule,
        HealthModule,
      ],
    };
  }
}
