import { Module } from '@nestjs/common';
import { AuditService } from './audit.service.js';
import { SecurityEventsController } from './security-events.controller.js';
import { SecurityEventsRepository } from './security-events.repository.js';

/**
 * The security event log (sign-ins and their failures, session revocations, password, email, role
 * and status changes): auth, users and sessions record what happened, to whom, by whom and from
 * where; a user reads their own events, an administrator the whole log.
 */
@Module({
  controllers: [SecurityEventsController],
  providers: [SecurityEventsRepository, AuditService],
  exports: [SecurityEventsRepository],
})
export class AuditModule {}
