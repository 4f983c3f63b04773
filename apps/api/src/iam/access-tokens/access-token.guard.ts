import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { perRoute } from '@app/common';
import type { AuthUser } from '../auth-user.js';
import { PERMISSIONS_KEY } from '../decorators/auth.decorator.js';
import { IS_PUBLIC_KEY } from '../decorators/public.decorator.js';
import { InsufficientPermissionsError, InvalidAccessTokenError } from '../iam.errors.js';
import { hasPermissions, type Permission } from '../permissions.js';
import { authenticateWith } from './authenticate-with.js';
import { JwtStrategy } from './jwt.strategy.js';

interface RouteAccess {
  isPublic: boolean;
  required: readonly Permission[];
}

/**
 * Global guard, deny by default: every route needs a valid access token unless marked
 * `@Public()`, and the permissions named by `@Auth(...)`. The token is verified by this app's own
 * JwtStrategy (see {@link authenticateWith}).
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  /** What the route's decorators ask for, read once per route. */
  private readonly access = perRoute((context): RouteAccess => {
    const targets = [context.getHandler(), context.getClass()];
    return {
      isPublic: this.reflector.getAllAndOverride<boolean | undefined>(IS_PUBLIC_KEY, targets) === true,
      required: this.reflector.getAllAndOverride<Permission[] | undefined>(PERMISSIONS_KEY, targets) ?? [],
    };
  });

  constructor(
    private readonly reflector: Reflector,
    private readonly strategy: JwtStrategy,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const { isPublic, required } = this.access(context);
    if (isPublic) return true;
    const user = await authenticateWith(this.strategy, context, (error, found) => this.handleRequest(error, found));
    if (!hasPermissions(user.role, required)) throw new InsufficientPermissionsError();
    return true;
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
