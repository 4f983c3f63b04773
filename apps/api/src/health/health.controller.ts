import { applyDecorators, Controller, Get, Res, ServiceUnavailableException, VERSION_NEUTRAL } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { ApiOkResponse, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, type HealthCheckResult } from '@nestjs/terminus';
import { ShutdownState } from '../core/shutdown/shutdown-state.js';
import { NotRateLimited } from '../core/rate-limit/rate-limit.decorator.js';
import { Public } from '../iam/decorators/public.decorator.js';
import { CacheHealthIndicator } from './cache.health.js';
import { DatabaseHealthIndicator } from './database.health.js';
import { HealthResponseDto } from './dto/health-response.dto.js';

/** A Terminus health check (never cached), documented with our DTO instead of Terminus' untyped maps. */
function HealthEndpoint(): MethodDecorator {
  return applyDecorators(
    HealthCheck({ noCache: true, swaggerDocumentation: false }),
    ApiOkResponse({ type: HealthResponseDto, description: 'Healthy (or degraded: the cache is down).' }),
    ApiServiceUnavailableResponse({
      type: HealthResponseDto,
      description: 'Not healthy (or shutting down); `error` says which dependency.',
    }),
  );
}

/** Readiness while the instance stops: no dependency was checked. */
const SHUTTING_DOWN: HealthCheckResult = { status: 'shutting_down', info: {}, error: {}, details: {} };

@ApiTags('health')
@Public()
@NotRateLimited()
@Controller({ path: 'health', version: VERSION_NEUTRAL })
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly databaseIndicator: DatabaseHealthIndicator,
    private readonly cacheIndicator: CacheHealthIndicator,
    private readonly shutdown: ShutdownState,
  ) {}

  /**
   * Liveness: the process is up and its event loop answers.
   *
   * @remarks No dependency is checked, so a database outage never gets the process restarted.
   * For orchestrators' liveness probes; public and not rate limited.
   */
  @Get('live')
  @HealthEndpoint()
  live(): Promise<HealthCheckResult> {
    return this.health.check([]);
  }

  /**
   * Readiness: whether this instance should receive traffic.
   *
   * @remarks 503 when the database is unreachable (2 s timeout) or lacks migrations of this build
   * (`pendingMigrations` names them, `message` the command that applies them); a cache outage only
   * degrades it (200, `status: degraded`), since the API then answers from the database. Both
   * answers use Terminus' health-check body, which names each dependency and its state; why one
   * is down goes to the log. From SIGTERM on it answers 503 with `status: shutting_down` (the
   * instance still serves for SHUTDOWN_DRAIN_MS, so load balancers move away first). Public and not
   * rate limited.
   */
  @Get('ready')
  @HealthEndpoint()
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthCheckResult> {
    if (this.shutdown.stopping) {
      void reply.status(503);
      return SHUTTING_DOWN;
    }
    try {
      return await this.health.check([
        () => this.databaseIndicator.check('database'),
        () => this.cacheIndicator.check('cache'),
      ]);
    } catch (error) {
      // Probes and operators expect the per-dependency details, not a generic problem body.
      if (!(error instanceof ServiceUnavailableException)) throw error;
      void reply.status(503);
      return error.getResponse() as HealthCheckResult;
    }
  }
}
