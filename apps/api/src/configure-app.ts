import { HttpException, VersioningType } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import { AppConfig } from '@app/config';
import { databaseErrorToDomain } from '@app/database';
import { createValidationPipe, ProblemDetailsFilter, REQUEST_ID_HEADER, requestIdFor, sendProblem } from '@app/common';
import { registerRequestLogging } from './logging.js';
import { setupOpenApi } from './openapi/openapi.js';
import { HELMET_OPTIONS, securityHeaders } from './security-headers.js';

/** Helmet's headers, computed once: they are the same on every response. */
const SECURITY_HEADERS = securityHeaders(HELMET_OPTIONS);

/**
 * Errors Fastify's router raises before any route (and Nest) runs: a path that is not valid
 * percent-encoding (400), a path parameter over Fastify's length limit (414). Answered like every
 * other error: problem+json with the request id and the security headers.
 */
function answerFrameworkError(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  // No hook has run: the headers the onRequest hook sets on every other answer.
  void reply.headers(SECURITY_HEADERS).header(REQUEST_ID_HEADER, request.id);
  sendProblem(request, reply, new HttpException(error.message, error.statusCode ?? 400));
}

/** The HTTP adapter; options that Fastify only accepts at construction live here. */
export function createHttpAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    frameworkErrors: answerFrameworkError,
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: config.http.trustProxy,
    genReqId: requestIdFor,
    // Keep-alive connections that sit idle are closed at once on shutdown; busy ones finish first.
    forceCloseConnections: 'idle',
    return503OnClosing: true,
  });
}

/**
 * Everything between "the app exists" and "the app listens", shared by main.ts, the OpenAPI
 * generator and every e2e test, so tests exercise exactly the production pipeline.
 */
export async function configureApp(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  app.useLogger(app.get(Logger));
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter([databaseErrorToDomain]));
  app.enableCors({
    origin: config.http.corsOrigins.length > 0 ? config.http.corsOrigins : false,
    credentials: true,
    exposedHeaders: [
      REQUEST_ID_HEADER,
      'retry-after',
      'idempotent-replayed',
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
    ],
  });
  app.enableShutdownHooks();

  await registerRequestLogging(app);
  const fastify = app.getHttpAdapter().getInstance();
  // Echo the request id on every response, errors included, with the security headers.
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(SECURITY_HEADERS).header(REQUEST_ID_HEADER, request.id);
    done();
  });
  // During shutdown, a response that finishes an in-flight request also closes its keep-alive
  // connection; otherwise the server would wait for the client's idle timeout before exiting.
  let closing = false;
  fastify.addHook('preClose', async () => {
    closing = true;
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (closing) void reply.header('connection', 'close');
    done(null, payload);
  });

  if (config.app.docsEnabled) setupOpenApi(app, config);
}
