import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth } from '@nestjs/swagger';
import { ApiProblemResponses } from '@app/common';
import type { Permission } from '../permissions.js';

export const PERMISSIONS_KEY = 'auth:permissions';

/**
 * Requires a valid access token and, optionally, permissions; declares the same in OpenAPI
 * (bearer security, 401, and 403: missing permissions, or an API key the route does not accept).
 * Every route without `@Public()` already requires a token; `@Auth()` documents it and adds the
 * permission check.
 */
export function Auth(...permissions: Permission[]): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(PERMISSIONS_KEY, permissions),
    ApiBearerAuth('bearer'),
    ApiProblemResponses(401, 403),
  );
}
