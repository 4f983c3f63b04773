import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { PinoLogger, type Params } from 'nestjs-pino';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { loggedRoute } from '@app/common';
import type { AppConfig } from '@app/config';

/**
 * Everything secret that can reach a log line. Paths are pino redaction paths; `*` matches one
 * level. Request headers and bodies are never logged in the first place.
 */
export const REDACTED_PATHS = [
  'password',
  '*.password',
  '*.currentPassword',
  '*.newPassword',
  '*.passwordHash',
  '*.refreshToken',
  '*.accessToken',
  '*.token',
  '*.authorization',
  '*.cookie',
  '*["x-api-key"]',
  '*.apiKey',
  '*.key',
];

/** The id of the request being handled, for the log lines written while handling it. */
const requestIds = new AsyncLocalStorage<string>();

/**
 * Adds the request id to a line as it is written. A child logger per request would serialize its
 * bindings on every request, logged or not (most are not, at the production level).
 */
function requestIdMixin(): { requestId?: string } {
  const requestId = requestIds.getStore();
  // A new object each time: pino merges the line's own fields into it.
  return requestId === undefined ? {} : { requestId };
}

/**
 * nestjs-pino's logger and its `Logger` for Nest, without its pino-http middleware: the request
 * context is bound by the Fastify hooks of {@link registerRequestLogging} instead, which cost
 * far less per request than a Nest middleware running pino-http (measured with `npm run bench`).
 */
export function loggerParams(config: AppConfig): Params {
  const options = {
    level: config.app.logLevel,
    redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
    mixin: requestIdMixin,
  };
  if (config.app.logFormat === 'json') return { forRoutes: [], pinoHttp: options };
  // Pretty: the same events, redacted the same way, formatted in this process (sync, so lines keep
  // their order with the boot banner) rather than in a transport's worker thread.
  // Loaded only here: production (JSON) never pays for the prettifier's module graph at boot.
  const pinoPretty = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  const pretty = pinoPretty({
    sync: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,context',
    singleLine: true,
    messageFormat: '{if context}[{context}] {end}{msg}',
    colorize: process.stdout.isTTY && !process.env.NO_COLOR,
  });
  return { forRoutes: [], pinoHttp: [options, pretty] };
}

/**
 * Structured JSON logs, one line per event: every line logged while handling a request carries
 * its `requestId`, and each request ends with one `request completed` line with the route pattern
 * (never the raw path, which may carry a bearer token, nor the query string, headers or body).
 * Health probes are not logged.
 */
export function registerRequestLogging(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', (request, _reply, done) => {
    requestIds.run(request.id, done);
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const route = loggedRoute(request);
    if (!route.startsWith('/health/')) {
      const status = reply.statusCode;
      const level = status >= 500 ? 'error' : status >= 400 ? 'warn' : 'info';
      PinoLogger.root[level](
        // Flat fields: `req`/`res` would go through pino-http's serializers for Node objects.
        {
          requestId: request.id,
          method: request.method,
          url: route,
          statusCode: status,
          responseTime: Math.round(reply.elapsedTime * 100) / 100,
          ip: request.ip,
          userAgent: request.headers['user-agent'],
        },
        'request completed',
      );
    }
    done();
  });
}
