import { Module } from '@nestjs/common';
import { AuditModule } from '../audit/audit.module.js';
import { ShutdownModule } from '../core/shutdown/shutdown.module.js';
import { IamModule } from '../iam/iam.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { UsersModule } from '../users/users.module.js';
import { AuthController } from './auth.controller.js';
import { AuthService } from './auth.service.js';
import { DeviceTokens } from './lockout/device-tokens.js';
import { LoginLockout } from './lockout/login-lockout.js';
import { LocalStrategy } from './strategies/local.strategy.js';

/** The sign-in flows: registration, password sign-in, refresh, sign-out, email and password links. */
@Module({
  imports: [AuditModule, IamModule, SessionsModule, UsersModule, ShutdownModule],
  controllers: [AuthController],
  providers: [AuthService, LocalStrategy, LoginLockout, DeviceTokens],
})
export class AuthModule {}
