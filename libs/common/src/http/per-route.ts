import type { ExecutionContext } from '@nestjs/common';

/**
 * Memoizes what a guard reads from a route's decorators: `read` runs once per controller class and
 * handler, and every later request of that route gets the same answer from two `WeakMap` lookups.
 * For metadata only (it is fixed once the app is built), never for anything about the request.
 */
export function perRoute<T>(read: (context: ExecutionContext) => T): (context: ExecutionContext) => T {
  const byClass = new WeakMap<object, WeakMap<object, T>>();
  return (context) => {
    const controller = context.getClass();
    const handler = context.getHandler();
    let byHandler = byClass.get(controller);
    if (byHandler === undefined) {
      byHandler = new WeakMap();
      byClass.set(controller, byHandler);
    }
    if (byHandler.has(handler)) return byHandler.get(handler) as T;
    const value = read(context);
    byHandler.set(handler, value);
    return value;
  };
}
