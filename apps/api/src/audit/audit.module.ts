import { Module } from '@nestjs/common';
import { SecurityEventsRepository } from './security-events.repository.js';

/**
 * The security event log (sign-ins and their failures, session revocations, password, email, role
 * and status changes): auth, users and sessions record what happened, with who and from where.
 */
@Module({
  providers: [SecurityEventsRepository],
  exports: [SecurityEventsRepository],
})
export class AuditModule {}
