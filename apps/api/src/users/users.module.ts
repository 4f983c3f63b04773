import { Module } from '@nestjs/common';
import { ApiKeysModule } from '../api-keys/api-keys.module.js';
import { AuditModule } from '../audit/audit.module.js';
import { IamModule } from '../iam/iam.module.js';
import { SessionsModule } from '../sessions/sessions.module.js';
import { UserTokensRepository } from './user-tokens.repository.js';
import { UserTokensService } from './user-tokens.service.js';
import { UsersController } from './users.controller.js';
import { UsersRepository } from './users.repository.js';
import { UsersService } from './users.service.js';

@Module({
  imports: [ApiKeysModule, AuditModule, IamModule, SessionsModule],
  controllers: [UsersController],
  providers: [UsersService, UsersRepository, UserTokensService, UserTokensRepository],
  exports: [UsersService, UserTokensService],
})
export class UsersModule {}
