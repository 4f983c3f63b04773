import { API_KEY_PREFIX } from '../../iam/api-keys/api-key-format.js';
import { API_KEY_SCHEME } from '../../iam/decorators/api-key-scope.decorator.js';
import type { INestApplication } from '@nestjs/common';
import { DiscoveryService, MetadataScanner, ModulesContainer, Reflector } from '@nestjs/core';
import {
  DocumentBuilder,
  SwaggerModule,
  type HeaderObject,
  type OpenAPIObject,
  type ResponsesObject,
  type ServerObject,
} from '@nestjs/swagger';
import { MAX_LOGIN_LOCKOUT_WINDOW_SECONDS, MAX_RATE_LIMIT_PER_MINUTE, type AppConfig } from '@app/config';
import {
  ACCEPTED_REQUEST_ID,
  CACHE_CONTROL_HEADER,
  NO_STORE_KEY,
  PRIVATE_NO_STORE,
  PROBLEM_CONTENT_TYPE,
  ProblemDetailsDto,
  REQUEST_ID_HEADER,
  SHARED_CACHE_KEY,
  sharedCacheControl,
  type SharedCachePolicy,
} from '@app/common';
import type { FastifyInstance } from 'fastify';
import { IS_PUBLIC_KEY } from '../../iam/decorators/public.decorator.js';
import { ACCESS_TOKEN_CLOCK_SKEW_SECONDS } from '../../iam/access-tokens/jwt.strategy.js';
import { NOT_RATE_LIMITED_KEY, RATE_LIMIT_WINDOW_SECONDS } from '../rate-limit/rate-limit.decorator.js';
import { API_TAGS } from './tags.js';

export const DOCS_PATH = 'docs';
const SPEC_PATH = 'docs/openapi.json';
const SPEC_YAML_PATH = 'docs/openapi.yaml';
/** The published spec changes only with a deploy; the `ETag` lets caches revalidate it for free. */
const SPEC_HTTP_CACHE: SharedCachePolicy = { maxAgeSeconds: 60, sharedMaxAgeSeconds: 300 };
const API_VERSION = '0.1.0';
/** The security scheme of Stripe's webhook calls (see `StripeWebhooksController`). */
export const STRIPE_SIGNATURE_SCHEME = 'stripeSignature';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;

/** `UsersController` + `getMe` -> `usersGetMe`: short, stable, and unique per route. */
function operationId(controllerKey: string, methodKey: string): string {
  const controller = controllerKey.replace(/Controller$/, '');
  return `${controller.charAt(0).toLowerCase()}${controller.slice(1)}${methodKey.charAt(0).toUpperCase()}${methodKey.slice(1)}`;
}

export function buildOpenApiDocument(app: INestApplication, config: AppConfig): OpenAPIObject {
  const builder = new DocumentBuilder()
    .setTitle(config.app.name)
    .setDescription(
      'REST API. Errors are RFC 9457 `application/problem+json` bodies with a stable `code`; ' +
        'every response carries an `x-request-id` header. Rate-limited routes answer with ' +
        '`X-RateLimit-*` headers and, past the limit, 429 with `Retry-After`.',
    )
    .setVersion(API_VERSION)
    .addBearerAuth(
      {
        type: 'http',
        scheme: 'bearer',
        bearerFormat: 'JWT',
        description:
          'The `accessToken` of `POST /v1/auth/login` or `/v1/auth/refresh`: a short-lived HS256 JWS whose ' +
          'handling follows RFC8725 (JWT Best Current Practices): one allowed algorithm, explicit `typ` ' +
          `(\`at+jwt\`), checked \`iss\`, \`aud\`, \`exp\` and \`iat\` (at most ${ACCESS_TOKEN_CLOCK_SKEW_SECONDS} s ahead of the ` +
          "server's clock), and a revocation check of its session on every request.",
      },
      'bearer',
    )
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'X-API-Key',
        description:
          `An API key of \`POST /v1/users/me/api-keys\` (\`${API_KEY_PREFIX}_<publicId>_<secret>\`), for machine clients: ` +
          'it authenticates as its owner, limited to its scopes, on the routes that list this scheme (each needs one ' +
          'scope; any other route answers 403 `API_KEY_NOT_ACCEPTED`). Send it as `X-API-Key: <key>` or as ' +
          '`Authorization: Bearer <key>` (recognised by its prefix). Unknown, expired or revoked keys, and keys of a ' +
          'disabled or deleted owner, are 401 `INVALID_API_KEY`; each key has its own rate limit ' +
          '(`API_KEY_RATE_LIMIT_PER_MINUTE`), besides the per-IP one.',
      },
      API_KEY_SCHEME,
    )
    .addApiKey(
      {
        type: 'apiKey',
        in: 'header',
        name: 'Stripe-Signature',
        description:
          "Stripe's webhook signature: an HMAC-SHA256 of the timestamp and the raw body with the endpoint's signing " +
          'secret (`STRIPE_WEBHOOK_SECRET`), verified by the Stripe SDK with 5 minutes of tolerance. Only Stripe has the secret.',
      },
      STRIPE_SIGNATURE_SCHEME,
    )
    // Any route can fail unexpectedly, or find a dependency unavailable; a route's own 503 (the
    // readiness probe's) takes precedence.
    .addGlobalResponse(
      problemResponse(500, 'Unexpected server error; the body reveals nothing but the request id.'),
      problemResponse(
        503,
        'A dependency is unavailable (the database: `DATABASE_UNAVAILABLE`, or `DATABASE_NOT_MIGRATED` while ' +
          'migrations are pending); retry after the seconds in `Retry-After`.',
      ),
    );
  for (const [name, description] of Object.entries(API_TAGS)) builder.addTag(name, description);
  const document = SwaggerModule.createDocument(app, builder.build(), {
    operationIdFactory: operationId,
    extraModels: [ProblemDetailsDto],
  });
  return finalizeDocument(document, routePolicies(app));
}

const problem = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } } },
});

const problemResponse = (status: number, description: string) => ({ status, ...problem(description) });

/** What the spec says of a route beyond its own decorators, read from the route's Nest metadata. */
interface RoutePolicy {
  rateLimited: boolean;
  noStore: boolean;
  /** `@Public()`: otherwise an authenticated route, whose answers are `private, no-store`. */
  isPublic: boolean;
  sharedCache: SharedCachePolicy | undefined;
}

/**
 * Each route's `@NotRateLimited()` and `@NoStore()`, by operation id, read from the controllers'
 * metadata (the same metadata the throttler guard and the response headers act on).
 */
function routePolicies(app: INestApplication): Map<string, RoutePolicy> {
  const reflector = new Reflector();
  const scanner = new MetadataScanner();
  const policies = new Map<string, RoutePolicy>();
  for (const { metatype } of new DiscoveryService(app.get(ModulesContainer)).getControllers()) {
    if (typeof metatype !== 'function') continue;
    const prototype = metatype.prototype as Record<string, unknown>;
    for (const methodName of scanner.getAllMethodNames(prototype)) {
      const handler = prototype[methodName] as () => unknown;
      policies.set(operationId(metatype.name, methodName), {
        rateLimited: reflector.getAllAndOverride<boolean>(NOT_RATE_LIMITED_KEY, [handler, metatype]) !== true,
        noStore: reflector.get<boolean>(NO_STORE_KEY, handler) === true,
        isPublic: reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, [handler, metatype]) === true,
        sharedCache: reflector.get<SharedCachePolicy | undefined>(SHARED_CACHE_KEY, handler),
      });
    }
  }
  return policies;
}

/** Methods whose requests Fastify parses a body of (so malformed, too large or unsupported bodies are refused). */
const BODY_METHODS = new Set(['post', 'put', 'patch', 'delete']);

const RATE_LIMIT_HEADERS = {
  'X-RateLimit-Limit': { $ref: '#/components/headers/X-RateLimit-Limit' },
  'X-RateLimit-Remaining': { $ref: '#/components/headers/X-RateLimit-Remaining' },
  'X-RateLimit-Reset': { $ref: '#/components/headers/X-RateLimit-Reset' },
};

/**
 * Rules that hold for every operation, applied once here instead of on each route:
 * - every response documents the request id and CORS headers; the 503 problem (declared for every
 *   route with the builder's global responses, as the 500 is) carries `Retry-After`;
 * - a route that parses a body can refuse it: 400 (malformed), 413 (too large), 415 (not JSON);
 * - a route with path parameters answers 414 to one over Fastify's length limit;
 * - a rate-limited route (all but those marked `@NotRateLimited()`) documents the `X-RateLimit-*`
 *   headers on its 2xx and 4xx responses, and its 429 with `Retry-After`;
 * - a `@NoStore()` route documents `Cache-Control: no-store` on its 2xx responses, an authenticated
 *   route `private, no-store`;
 * - a `@SharedCache()` route documents its public `Cache-Control` and `ETag`, the `If-None-Match`
 *   it accepts, and its `304`.
 */
function finalizeDocument(document: OpenAPIObject, policies: Map<string, RoutePolicy>): OpenAPIObject {
  boundFormattedStrings(document);
  // Relative: the API is wherever this document is served from (local, staging or production).
  document.servers = [
    {
      url: '/',
      description: 'The server that serves this document: local, staging or production alike',
      'x-internal': false,
    } as ServerObject,
  ];
  document.components ??= {};
  document.components.headers = { ...document.components.headers, ...COMMON_HEADERS };
  document.components.parameters = {
    ...document.components.parameters,
    'If-None-Match': {
      name: 'If-None-Match',
      in: 'header',
      required: false,
      description:
        'The `ETag` of a copy the caller holds (or a comma-separated list of them, or `*`): answered `304` with no body while it is current.',
      schema: { type: 'string', maxLength: 1024, pattern: '^(\\*|(W/)?"[^"]*"( *, *(W/)?"[^"]*")*)$' },
    },
  };
  for (const [path, pathItem] of Object.entries(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = pathItem[method];
      if (!operation) continue;
      const { rateLimited, noStore, isPublic, sharedCache } = policies.get(operation.operationId ?? '') ?? {
        rateLimited: true,
        noStore: false,
        isPublic: false,
        sharedCache: undefined,
      };
      const responses = operation.responses;
      const cacheHeaders = successCacheHeaders({ noStore, isPublic, sharedCache });
      if (sharedCache) {
        operation.parameters = [...(operation.parameters ?? []), { $ref: '#/components/parameters/If-None-Match' }];
        responses['304'] ??= {
          description: 'Not modified: `If-None-Match` matches the current `ETag`. No body.',
          headers: cacheHeaders,
        };
      }
      if (BODY_METHODS.has(method)) {
        responses['400'] ??= problem(
          'The request is malformed or fails validation (`VALIDATION_FAILED`, `BAD_REQUEST`).',
        );
        responses['413'] ??= problem('The request body is larger than the configured limit (`PAYLOAD_TOO_LARGE`).');
        responses['415'] ??= problem('The request body is not of a supported content type (`UNSUPPORTED_MEDIA_TYPE`).');
      }
      if (/\{[^}]+\}/.test(path)) {
        responses['414'] ??= problem('A path parameter is longer than the server accepts (`URI_TOO_LONG`).');
      }
      if (rateLimited) {
        responses['429'] ??= problem('Too many requests (`RATE_LIMITED`); retry after the seconds in `Retry-After`.');
      }
      for (const [status, response] of Object.entries(responses)) {
        if (!response || '$ref' in response) continue;
        // A 304 answers after the rate limit counted the request, as a 200 does.
        const limited = rateLimited && /^[234]/.test(status);
        // Problems that say when to retry: rate limits and unavailable dependencies (not the health bodies).
        const retryAfter = status === '429' || (status === '503' && response.content?.[PROBLEM_CONTENT_TYPE]);
        response.headers = {
          ...response.headers,
          ...(limited ? RATE_LIMIT_HEADERS : {}),
          ...(retryAfter ? { 'Retry-After': { $ref: '#/components/headers/Retry-After' } } : {}),
          ...(status.startsWith('2') ? cacheHeaders : {}),
          [REQUEST_ID_HEADER]: { $ref: `#/components/headers/${REQUEST_ID_HEADER}` },
          'Access-Control-Allow-Origin': { $ref: '#/components/headers/Access-Control-Allow-Origin' },
        };
      }
      operation.responses = sortedByStatus(responses);
    }
  }
  return document;
}

/** The cache headers of a route's successful answers (and of its 304). */
function successCacheHeaders(
  policy: Pick<RoutePolicy, 'noStore' | 'isPublic' | 'sharedCache'>,
): Record<string, { $ref: string }> {
  if (policy.noStore) return { [CACHE_CONTROL_HEADER]: { $ref: `#/components/headers/${CACHE_CONTROL_HEADER}` } };
  if (policy.sharedCache)
    return {
      [CACHE_CONTROL_HEADER]: { $ref: '#/components/headers/Cache-Control-Shared' },
      ETag: { $ref: '#/components/headers/ETag' },
    };
  if (!policy.isPublic) return { [CACHE_CONTROL_HEADER]: { $ref: '#/components/headers/Cache-Control-Private' } };
  return {};
}

/** Lengths implied by a string format: `2026-11-25T10:00:00.000Z` (27 with a 6-digit year), a UUID. */
const FORMAT_MAX_LENGTH: Record<string, number> = { 'date-time': 27, uuid: 36 };

/** Gives every date-time or UUID string schema (request or response) the length its format implies. */
function boundFormattedStrings(node: unknown): void {
  if (Array.isArray(node)) {
    for (const item of node) boundFormattedStrings(item);
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const schema = node as Record<string, unknown>;
  const implied = typeof schema.format === 'string' ? FORMAT_MAX_LENGTH[schema.format] : undefined;
  if (schema.type === 'string' && implied !== undefined) schema.maxLength ??= implied;
  for (const value of Object.values(schema)) boundFormattedStrings(value);
}

function sortedByStatus(responses: ResponsesObject): ResponsesObject {
  return Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
}

const COMMON_HEADERS: Record<string, HeaderObject> = {
  [REQUEST_ID_HEADER]: {
    description:
      'The request id: the `x-request-id` sent by the caller when it is 1-128 safe characters, or a generated UUID.',
    required: true,
    schema: { type: 'string', maxLength: 128, pattern: ACCEPTED_REQUEST_ID.source },
  },
  'Access-Control-Allow-Origin': {
    description: "The request's `Origin`, when it is one of `CORS_ORIGINS` (absent otherwise: no cross-origin access).",
    schema: { type: 'string', format: 'uri', maxLength: 2048 },
  },
  [CACHE_CONTROL_HEADER]: {
    description:
      '`no-store`: the response carries a credential or a bearer link (tokens, a checkout, portal or invoice URL); ' +
      'no browser or proxy cache may keep it.',
    required: true,
    schema: { type: 'string', enum: ['no-store'] },
  },
  'Cache-Control-Private': {
    description: `\`${PRIVATE_NO_STORE}\`: an answer to an authenticated request; neither a shared cache nor the browser's disk may keep it.`,
    required: true,
    schema: { type: 'string', enum: [PRIVATE_NO_STORE] },
  },
  'Cache-Control-Shared': {
    description:
      'The same answer for every caller: browsers may reuse it for `max-age` seconds, shared caches (a CDN, a reverse proxy) for `s-maxage`, then revalidate it with `If-None-Match`.',
    required: true,
    schema: { type: 'string', maxLength: 64, pattern: '^public, max-age=\\d+, s-maxage=\\d+$' },
  },
  ETag: {
    description: 'A strong validator of the body: send it back in `If-None-Match` to get a `304` while it is current.',
    required: true,
    schema: { type: 'string', maxLength: 24, pattern: '^"[A-Za-z0-9_-]{22}"$' },
  },
  'X-RateLimit-Limit': {
    description:
      'Requests allowed per minute to this route from this client (on a 429 `RATE_LIMITED`: the limit that was exceeded; a sign-in lockout, `LOGIN_LOCKED_OUT`, is no request limit and leaves these headers as they were).',
    schema: { type: 'integer', format: 'int32', minimum: 1, maximum: MAX_RATE_LIMIT_PER_MINUTE },
  },
  'X-RateLimit-Remaining': {
    description: 'Requests left in the current window.',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: MAX_RATE_LIMIT_PER_MINUTE },
  },
  'X-RateLimit-Reset': {
    description: 'Seconds until the current window ends.',
    schema: { type: 'integer', format: 'int32', minimum: 0, maximum: RATE_LIMIT_WINDOW_SECONDS },
  },
  'Retry-After': {
    description:
      'Seconds to wait before retrying (at most a minute for a request limit, `LOGIN_LOCKOUT_WINDOW` for a sign-in lockout).',
    required: true,
    schema: { type: 'integer', format: 'int32', minimum: 1, maximum: MAX_LOGIN_LOCKOUT_WINDOW_SECONDS },
  },
};

/** Serves Swagger UI at /docs and the spec at /docs/openapi.json. */
export function setupOpenApi(app: INestApplication, config: AppConfig): void {
  // The published spec is the same for every caller: cached by CDNs, revalidated with its ETag.
  const specPaths = new Set([`/${SPEC_PATH}`, `/${SPEC_YAML_PATH}`]);
  const fastify = app.getHttpAdapter().getInstance() as FastifyInstance;
  fastify.addHook('onRequest', (request, reply, done) => {
    if (specPaths.has(request.routeOptions.url ?? ''))
      void reply.header(CACHE_CONTROL_HEADER, sharedCacheControl(SPEC_HTTP_CACHE));
    done();
  });
  SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app, config), {
    jsonDocumentUrl: SPEC_PATH,
    yamlDocumentUrl: SPEC_YAML_PATH,
    customSiteTitle: `${config.app.name} – API docs`,
    swaggerOptions: { persistAuthorization: true },
  });
}
