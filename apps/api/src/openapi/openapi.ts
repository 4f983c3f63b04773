import type { INestApplication } from '@nestjs/common';
import { DocumentBuilder, SwaggerModule, type OpenAPIObject } from '@nestjs/swagger';
import type { AppConfig } from '@app/config';
import { PROBLEM_CONTENT_TYPE, ProblemDetailsDto, REQUEST_ID_HEADER } from '@app/common';

export const DOCS_PATH = 'docs';
export const SPEC_PATH = 'docs/openapi.json';
export const API_VERSION = '0.1.0';

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
        'every response carries an `x-request-id` header.',
    )
    .setVersion(API_VERSION)
    .addBearerAuth({ type: 'http', scheme: 'bearer', bearerFormat: 'JWT' }, 'bearer')
    .addTag('health', 'Liveness and readiness probes');
  const document = SwaggerModule.createDocument(app, builder.build(), {
    operationIdFactory: operationId,
    extraModels: [ProblemDetailsDto],
  });
  return finalizeDocument(document);
}

/**
 * Rules that hold for every operation, applied once here instead of on each route: any route can
 * fail with a 500 problem, and every response documents the request id header.
 */
export function finalizeDocument(document: OpenAPIObject): OpenAPIObject {
  document.components ??= {};
  document.components.headers = {
    ...document.components.headers,
    RequestId: {
      description: 'The request id: the `x-request-id` sent by the caller, or a generated UUID.',
      schema: { type: 'string' },
    },
  };
  for (const pathItem of Object.values(document.paths)) {
    for (const method of HTTP_METHODS) {
      const operation = pathItem[method];
      if (!operation) continue;
      operation.responses['500'] ??= {
        description: 'Unexpected server error; the body reveals nothing but the request id.',
        content: { [PROBLEM_CONTENT_TYPE]: { schema: { $ref: '#/components/schemas/ProblemDetailsDto' } } },
      };
      for (const response of Object.values(operation.responses)) {
        if (!response || '$ref' in response) continue;
        response.headers = { ...response.headers, [REQUEST_ID_HEADER]: { $ref: '#/components/headers/RequestId' } };
      }
    }
  }
  return document;
}

/** Serves Swagger UI at /docs and the spec at /docs/openapi.json. */
export function setupOpenApi(app: INestApplication, config: AppConfig): void {
  SwaggerModule.setup(DOCS_PATH, app, () => buildOpenApiDocument(app, config), {
    jsonDocumentUrl: SPEC_PATH,
    yamlDocumentUrl: 'docs/openapi.yaml',
    customSiteTitle: `${config.app.name} – API docs`,
    swaggerOptions: { persistAuthorization: true },
  });
}
