import { Injectable, type CanActivate, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { AuthUser } from '../auth-user.js';
import { PERMISSIONS_KEY } from '../decorators/auth.decorator.js';
import { IS_PUBLIC_KEY } from '../decorators/public.decorator.js';
import { InsufficientPermissionsError, InvalidAccessTokenError } from '../iam.errors.js';
import { hasPermissions, type Permission } from '../permissions.js';
import { authenticateWith } from './authenticate-with.js';
import { JwtStrategy } from './jwt.strategy.js';

/**
 * Global guard, deny by default: every route needs a valid access token unless marked
 * `@Public()`, and the permissions named by `@Auth(...)`. The token is verified by this app's own
 * JwtStrategy (see {@link authenticateWith}).
 */
@Injectable()
export class AccessTokenGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly strategy: JwtStrategy,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;
    const user = await authenticateWith(this.strategy, context, (error, found) => this.handleRequest(error, found));
    const required = this.reflector.getAllAndOverride<Permission[] | undefined>(PERMISSIONS_KEY, targets) ?? [];
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
