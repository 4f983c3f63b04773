import { randomUUID } from 'node:crypto';
import type { Socket } from 'node:net';
import fastifyCookie from '@fastify/cookie';
import { HttpException, VersioningType, type INestApplication } from '@nestjs/common';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import { AppConfig, type TrustProxySetting } from '@app/config';
import { databaseErrorToDomain } from '@app/database';
import {
  createValidationPipe,
  PROBLEM_CONTENT_TYPE,
  ProblemDetailsFilter,
  REQUEST_ID_HEADER,
  requestIdFor,
  sendProblem,
  toProblem,
} from '@app/common';
import { IDEMPOTENCY_KEY_HEADER } from './idempotency/idempotency-key.js';
import { registerHttpCaching } from './http-cache/http-caching.js';
import { registerRequestLogging } from './logging.js';
import { registerReplicaReads } from './replica-reads.js';
import { setupOpenApi } from './openapi/openapi.js';
import { HELMET_OPTIONS, securityHeaders } from './security-headers.js';
import { registerGracefulShutdown } from './shutdown/http-shutdown.js';
import { ShutdownState } from './shutdown/shutdown-state.js';

/** Every method the API serves (HEAD is Fastify's, for each GET); a test checks them against the spec. */
export const CORS_METHODS = ['GET', 'HEAD', 'POST', 'PATCH', 'DELETE'] as const;
/** The request headers the API reads, which a browser must be allowed to send cross-origin. */
export const CORS_REQUEST_HEADERS = [
  'Authorization',
  'Content-Type',
  IDEMPOTENCY_KEY_HEADER,
  REQUEST_ID_HEADER,
  // Revalidates a shared-cacheable answer (`@SharedCache()`) against its `ETag`.
  'If-None-Match',
] as const;

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

/** Node's codes for requests it refuses before parsing them, and the statuses Fastify answers them with. */
const CLIENT_ERROR_STATUS: Record<string, number> = { ERR_HTTP_REQUEST_TIMEOUT: 408, HPE_HEADER_OVERFLOW: 431 };

/**
 * Requests Node's HTTP parser refuses before Fastify sees a request (a control character in a
 * header, a malformed request line, headers too large, a request too slow): answered problem+json
 * like every other refusal, on the raw socket, which is then closed. A reset connection gets nothing.
 */
function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const status = CLIENT_ERROR_STATUS[error.code ?? ''] ?? 400;
    const requestId = randomUUID();
    const problem = toProblem(new HttpException('The request could not be parsed.', status), requestId, '/');
    const body = JSON.stringify(problem.body);
    const headers = {
      ...SECURITY_HEADERS,
      'content-type': `${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
      'content-length': String(Buffer.byteLength(body)),
      [REQUEST_ID_HEADER]: requestId,
      connection: 'close',
    };
    const head = Object.entries(headers)
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.write(`HTTP/1.1 ${status} ${problem.body.title}\r\n${head}\r\n${body}`);
  }
  socket.destroy(error);
}

/**
 * TRUST_PROXY as Fastify's `trustProxy`. Addresses and CIDRs go to Fastify as they are (it compiles
 * them with proxy-addr). Fastify 5.12 no longer honours a number (it trusts no hop then), so a hop
 * count becomes the trust function proxy-addr used to build for one: hop `i` (0 = the peer) is a
 * proxy while `i < hops`.
 */
function fastifyTrustProxy(
  setting: TrustProxySetting,
): boolean | string[] | ((address: string, hop: number) => boolean) {
  if (typeof setting === 'number') return setting === 0 ? false : (_address, hop) => hop < setting;
  return typeof setting === 'boolean' ? setting : [...setting];
}

/** The HTTP adapter; options that Fastify only accepts at construction live here. */
export function createHttpAdapter(config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({
    frameworkErrors: answerFrameworkError,
    clientErrorHandler: answerClientError,
    bodyLimit: config.http.bodyLimitBytes,
    trustProxy: fastifyTrustProxy(config.http.trustProxy),
    genReqId: requestIdFor,
    // Keep-alive connections that sit idle are closed at once on shutdown; busy ones finish first.
    forceCloseConnections: 'idle',
    // A request that reaches a connection accepted before the close is served (its answer closes
    // the connection), not refused with a bare 503 that a load balancer would not retry.
    return503OnClosing: false,
  });
}

/**
 * How routes are addressed: URI versioning, `/v1` by default (`VERSION_NEUTRAL` routes such as the
 * health probes have none). The running app and the OpenAPI writer both call this, so the published
 * paths are the served ones.
 */
export function configureRouting(app: INestApplication): void {
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
}

/**
 * Everything between "the app exists" and "the app listens", shared by main.ts, the OpenAPI
 * generator and every e2e test, so tests exercise exactly the production pipeline.
 */
export async function configureApp(app: NestFastifyApplication, config: AppConfig): Promise<void> {
  app.useLogger(app.get(Logger));
  configureRouting(app);
  app.useGlobalPipes(createValidationPipe());
  app.useGlobalFilters(new ProblemDetailsFilter([databaseErrorToDomain]));
  app.enableCors({
    origin: config.http.corsOrigins.length > 0 ? config.http.corsOrigins : false,
    credentials: true,
    methods: [...CORS_METHODS],
    allowedHeaders: [...CORS_REQUEST_HEADERS],
    exposedHeaders: [
      REQUEST_ID_HEADER,
      'etag',
      'retry-after',
      'idempotent-replayed',
      'x-ratelimit-limit',
      'x-ratelimit-remaining',
      'x-ratelimit-reset',
    ],
  });

  // Parses the Cookie header (the login's device token is the only cookie the API reads).
  await app.register(fastifyCookie);
  registerRequestLogging(app);
  registerReplicaReads(app, config);
  const fastify = app.getHttpAdapter().getInstance();
  // Echo the request id on every response, errors included, with the security headers.
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.headers(SECURITY_HEADERS).header(REQUEST_ID_HEADER, request.id);
    done();
  });
  // Tracks every route handler and closes connections while stopping (main.ts drives the stop).
  registerGracefulShutdown(fastify, app.get(ShutdownState), config, (message) =>
    app.get(Logger).warn(message, 'Shutdown'),
  );
  registerHttpCaching(fastify);

  if (config.app.docsEnabled) setupOpenApi(app, config);
}
