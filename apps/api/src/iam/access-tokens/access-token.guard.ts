import { Injectable, type ExecutionContext } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { AuthGuard } from '@nestjs/passport';
import type { FastifyRequest } from 'fastify';
import type { AuthUser } from '../auth-user.js';
import { PERMISSIONS_KEY } from '../decorators/auth.decorator.js';
import { IS_PUBLIC_KEY } from '../decorators/public.decorator.js';
import { InsufficientPermissionsError, InvalidAccessTokenError } from '../iam.errors.js';
import { hasPermissions, type Permission } from '../permissions.js';

/**
 * Global guard, deny by default: every route needs a valid access token unless marked
 * `@Public()`, and the permissions named by `@Auth(...)`.
 */
@Injectable()
export class AccessTokenGuard extends AuthGuard('jwt') {
  constructor(private readonly reflector: Reflector) {
    super();
  }

  override async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;
    await super.canActivate(context);
    const required = this.reflector.getAllAndOverride<Permission[] | undefined>(PERMISSIONS_KEY, targets) ?? [];
    const user = context.switchToHttp().getRequest<FastifyRequest & { user: AuthUser }>().user;
    if (!hasPermissions(user.role, required)) throw new InsufficientPermissionsError();
    return true;
  }

  /**
   * passport-jwt reports a bad token as "no user"; an error is our own verdict (a domain error) or
   * a failure (the revocation lookup's database unavailable, a bug): thrown as it is, so it
   * answers 503 or 500 rather than a misleading 401.
   */
  override handleRequest<T>(error: Error | null | undefined, user: T): T {
    if (error) throw error;
    if (!user) throw new InvalidAccessTokenError();
    return user;
  }
}
