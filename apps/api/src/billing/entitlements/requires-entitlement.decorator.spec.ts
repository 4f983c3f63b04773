import { beforeEach, describe, expect, it, vi, type Mock } from 'vitest';
import { Reflector } from '@nestjs/core';
import { GUARDS_METADATA } from '@nestjs/common/constants.js';
import { makeHttpContext } from '../../../../../test/utils/builders.js';
import type { AuthUser } from '../../iam/auth-user.js';
import { EntitlementRequiredError } from '../billing.errors.js';
import type { EntitlementsService } from './entitlements.service.js';
import { EntitlementGuard, RequiresEntitlement } from './requires-entitlement.decorator.js';

class RoutesController {
  open(): void {}
  @RequiresEntitlement('api.export')
  exportData(): void {}
}

const caller: AuthUser = { id: 'user-1', sessionId: 'session-1', role: 'USER' };

/** A request of `caller` to one of RoutesController's routes. */
function requestTo(route: keyof RoutesController) {
  return makeHttpContext({
    request: { user: caller },
    handler: RoutesController.prototype[route],
    controller: RoutesController,
  });
}

describe(EntitlementGuard.name, () => {
  let entitlements: { can: Mock<EntitlementsService['can']> };
  let sut: EntitlementGuard;

  beforeEach(() => {
    entitlements = { can: vi.fn<EntitlementsService['can']>().mockResolvedValue(true) };
    sut = new EntitlementGuard(new Reflector(), entitlements as unknown as EntitlementsService);
  });

  it('lets a route without @RequiresEntitlement() through without asking the plan', async () => {
    await expect(sut.canActivate(requestTo('open'))).resolves.toBe(true);
    expect(entitlements.can).not.toHaveBeenCalled();
  });

  it('lets the caller through when their plan grants the feature the route names', async () => {
    await expect(sut.canActivate(requestTo('exportData'))).resolves.toBe(true);
    expect(entitlements.can).toHaveBeenCalledWith('user-1', 'api.export');
  });

  it('refuses the caller whose plan does not grant the feature as ENTITLEMENT_REQUIRED', async () => {
    entitlements.can.mockResolvedValue(false);

    await expect(sut.canActivate(requestTo('exportData'))).rejects.toThrow(EntitlementRequiredError);
    await expect(sut.canActivate(requestTo('exportData'))).rejects.toThrow('Your plan does not include api.export.');
  });

  it('fails with the lookup’s own error when the plan cannot be read', async () => {
    const failure = new Error('database unavailable');
    entitlements.can.mockRejectedValue(failure);

    await expect(sut.canActivate(requestTo('exportData'))).rejects.toBe(failure);
  });

  it('@RequiresEntitlement() puts the guard on the route', () => {
    const guards: unknown = Reflect.getMetadata(GUARDS_METADATA, RoutesController.prototype.exportData);

    expect(guards).toEqual([EntitlementGuard]);
  });
});
