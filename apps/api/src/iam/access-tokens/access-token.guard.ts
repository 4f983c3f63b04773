import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { perRoute } from '@app/common';
import type { FastifyRequest } from 'fastify';
import { ApiKeyAuthenticator } from '../api-keys/api-key-authenticator.js';
import { AmbiguousApiKey, presentedApiKey } from '../api-keys/presented-api-key.js';
import type { AuthUser } from '../auth-user.js';
import { PERMISSIONS_KEY } from '../decorators/auth.decorator.js';
import { API_KEY_SCOPE_KEY } from '../decorators/api-key-scope.decorator.js';
import { IS_PUBLIC_KEY } from '../decorators/public.decorator.js';
import {
  ApiKeyNotAcceptedError,
  ApiKeyScopeMissingError,
  InsufficientPermissionsError,
  InvalidAccessTokenError,
  InvalidApiKeyError,
} from '../iam.errors.js';
import { hasPermissions, type ApiKeyScope, type Permission } from '../permissions.js';
import { authenticateWith } from './authenticate-with.js';
import { JwtStrategy } from './jwt.strategy.js';

interface RouteAccess {
  isPublic: boolean;
  required: readonly Permission[];
  /** The scope an API key needs here (`@ApiKeyScope`); undefined: keys are refused. */
  apiKeyScope: ApiKeyScope | undefined;
}

/**
 * Global guard, deny by default: every route needs a valid access token unless marked
 * `@Public()`, and the permissions named by `@Auth(...)`. The token is verified by this app's own
 * JwtStrategy (see {@link authenticateWith}).
 *
 * A request presenting an API key (`X-API-Key`, or a bearer credential with the key prefix) is
 * authenticated by {@link ApiKeyAuthenticator} instead, and let through only on a route marked
 * `@ApiKeyScope(scope)`, when the key holds that scope and its owner's role still holds it and the
 * route's permissions.
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  /** What the route's decorators ask for, read once per route. */
  private readonly access = perRoute((context): RouteAccess => {
    const targets = [context.getHandler(), context.getClass()];
    return {
      isPublic: this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets) === true,
      required: this.reflector.getAllAndOverride<Permission[] | undefined>(PERMISSIONS_KEY, targets) ?? [],
      apiKeyScope: this.reflector.get<ApiKeyScope | undefined>(API_KEY_SCOPE_KEY, context.getHandler()),
    };
  });

  constructor(
    private readonly reflector: Reflector,
    private readonly strategy: JwtStrategy,
    private readonly apiKeys: ApiKeyAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { isPublic, required, apiKeyScope } = this.access(context);
    if (isPublic) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest & { user?: AuthUser }>();
    const apiKey = this.apiKeyOf(request);
    if (apiKey !== undefined) {
      const user = await this.apiKeys.authenticate(apiKey);
      request.user = user;
      if (apiKeyScope === undefined) throw new ApiKeyNotAcceptedError();
      if (!user.apiKey?.scopes.includes(apiKeyScope) || !hasPermissions(user.role, [apiKeyScope])) {
        throw new ApiKeyScopeMissingError(apiKeyScope);
      }
      if (!hasPermissions(user.role, required)) throw new InsufficientPermissionsError();
      return true;
    }
    const user = await authenticateWith(this.strategy, context, (error, found) => this.handleRequest(error, found));
    if (!hasPermissions(user.role, required)) throw new InsufficientPermissionsError();
    return true;
  }

  private apiKeyOf(request: FastifyRequest): string | undefined {
    try {
      return presentedApiKey(request.headers);
    } catch (error) {
      if (error instanceof AmbiguousApiKey) throw new InvalidApiKeyError();
      throw error;
    }
  }

  /**
   * passport-jwt reports a bad token as "no user"; an error is our own verdict (a domain error) or
   * a failure (the revocation lookup's database unavailable, a bug): thrown as it is, so it
   * answers 503 or 500 rather than a misleading 401.
   */
  handleRequest(error: Error | null | undefined, user: unknown): AuthUser {
    if (error) throw error;
    if (!user) throw new InvalidAccessTokenError();
    return user as AuthUser;
  }
}
