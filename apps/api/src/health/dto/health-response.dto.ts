import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';

/** One dependency's state, as Terminus reports it. */
export class HealthIndicatorDto {
  /** `degraded`: unavailable, but the API still serves (the cache: answers come from the database). */
  @ApiProperty({ enum: ['up', 'down', 'degraded'] })
  status: 'up' | 'down' | 'degraded';

  /** The cache's store (`redis`, or `memory` without REDIS_URL). */
  @ApiPropertyOptional({ enum: ['redis', 'memory'] })
  store?: 'redis' | 'memory';

  /** Why the dependency is not up, in a fixed sentence (details are in the log). */
  @ApiPropertyOptional({ maxLength: 500 })
  message?: string;

  /** The database's missing migrations, in apply order: `npm run db:migrate` applies them. */
  @ApiPropertyOptional({
    type: [String],
    maxItems: 1000,
    items: { type: 'string', maxLength: 255, pattern: '^[\\w.-]+$' },
  })
  pendingMigrations?: string[];
}

/** The dependencies a readiness check looks at (none for liveness). */
export class HealthIndicatorsDto {
  @ApiPropertyOptional({ type: () => HealthIndicatorDto })
  database?: HealthIndicatorDto;

  @ApiPropertyOptional({ type: () => HealthIndicatorDto })
  cache?: HealthIndicatorDto;
}

/** Terminus' health-check body: the overall status, then the dependencies by state. */
export class HealthResponseDto {
  @ApiProperty({ enum: ['ok', 'degraded', 'error', 'shutting_down'] })
  status: 'ok' | 'degraded' | 'error' | 'shutting_down';

  /** The dependencies that are up. */
  @ApiPropertyOptional({ type: () => HealthIndicatorsDto })
  info?: HealthIndicatorsDto;

  /** The dependencies that are down or degraded. */
  @ApiPropertyOptional({ type: () => HealthIndicatorsDto })
  error?: HealthIndicatorsDto;

  /** Every dependency checked. */
  @ApiProperty({ type: () => HealthIndicatorsDto })
  details: HealthIndicatorsDto;
}
