import { describe, expect, it, vi } from 'vitest';
import type { ExecutionContext } from '@nestjs/common';
import { perRoute } from './per-route.js';

class UsersController {
  me(): void {}
  list(): void {}
}
class AdminController extends UsersController {}

const contextOf = (controller: object, handler: object) =>
  ({ getClass: () => controller, getHandler: () => handler }) as unknown as ExecutionContext;

describe(perRoute.name, () => {
  it('reads a route once, then answers from memory', () => {
    const read = vi.fn((context: ExecutionContext) => context.getHandler().name);
    const sut = perRoute(read);

    expect(sut(contextOf(UsersController, UsersController.prototype.me))).toBe('me');
    expect(sut(contextOf(UsersController, UsersController.prototype.me))).toBe('me');

    expect(read).toHaveBeenCalledTimes(1);
  });

  it('keeps handlers and controllers apart, an inherited handler included', () => {
    const read = vi.fn((context: ExecutionContext) => `${context.getClass().name}.${context.getHandler().name}`);
    const sut = perRoute(read);

    expect(sut(contextOf(UsersController, UsersController.prototype.me))).toBe('UsersController.me');
    expect(sut(contextOf(UsersController, UsersController.prototype.list))).toBe('UsersController.list');
    // The same function object, under a subclass whose decorators may differ.
    expect(sut(contextOf(AdminController, UsersController.prototype.me))).toBe('AdminController.me');
    expect(read).toHaveBeenCalledTimes(3);
  });

  it('remembers an undefined answer too', () => {
    const read = vi.fn(() => undefined);
    const sut = perRoute(read);

    sut(contextOf(UsersController, UsersController.prototype.me));
    sut(contextOf(UsersController, UsersController.prototype.me));

    expect(read).toHaveBeenCalledTimes(1);
  });
});
