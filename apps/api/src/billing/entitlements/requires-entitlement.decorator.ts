import {
  applyDecorators,
  Injectable,
  SetMetadata,
  UseGuards,
  type CanActivate,
  type ExecutionContext,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { ApiProblemResponses } from '@app/common';
import type { AuthUser } from '../../iam/auth-user.js';
import { EntitlementRequiredError } from '../billing.errors.js';
import { EntitlementsService } from './entitlements.service.js';

const ENTITLEMENT_KEY = 'billing:entitlement';

/** Allows the route only to callers whose plan grants `feature` (e.g. `api.export`); 403 otherwise. */
@Injectable()
export class EntitlementGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly entitlements: EntitlementsService,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const feature = this.reflector.get<string | undefined>(ENTITLEMENT_KEY, context.getHandler());
    if (!feature) return true;
    const user = context.switchToHttp().getRequest<FastifyRequest & { user: AuthUser }>().user;
    if (!(await this.entitlements.can(user.id, feature))) throw new EntitlementRequiredError(feature);
    return true;
  }
}

/** Requires a plan feature on a route (after authentication). Documents the 403. */
export function RequiresEntitlement(feature: string): MethodDecorator {
  return applyDecorators(SetMetadata(ENTITLEMENT_KEY, feature), UseGuards(EntitlementGuard), ApiProblemResponses(403));
}
