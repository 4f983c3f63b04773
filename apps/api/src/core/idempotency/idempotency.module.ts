import { Module } from '@nestjs/common';
import { IdempotencySeal } from './idempotency-seal.js';
import { IdempotencyRepository } from './idempotency.repository.js';
import { IdempotencyService } from './idempotency.service.js';

/** Idempotency-Key support; `@Idempotent()` routes of an importing module use its service. */
@Module({
  providers: [IdempotencyRepository, IdempotencySeal, IdempotencyService],
  exports: [IdempotencyService],
})
export class IdempotencyModule {}
