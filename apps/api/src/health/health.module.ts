import { Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { ShutdownModule } from '../core/shutdown/shutdown.module.js';
import { HealthController } from './health.controller.js';
import { CacheHealthIndicator } from './cache.health.js';
import { DatabaseHealthIndicator } from './database.health.js';

@Module({
  imports: [TerminusModule.forRoot(), ShutdownModule],
  controllers: [HealthController],
  providers: [CacheHealthIndicator, DatabaseHealthIndicator],
})
export class HealthModule {}
