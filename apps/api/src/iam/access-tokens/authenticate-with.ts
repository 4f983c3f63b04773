import type { ExecutionContext } from '@nestjs/common';
import passport, { type Strategy } from 'passport';

/** What a guard makes of passport's answer: the user, or a thrown error ("no user" included). */
export type Verdict<TUser> = (error: Error | null | undefined, user: unknown) => TUser;

type Middleware = (request: unknown, response: unknown, next: (error?: Error | null) => void) => void;

/**
 * Authenticates the request of `context` with `strategy`, and puts the user `verdict` makes of
 * passport's answer on `request.user`: what `AuthGuard` of @nestjs/passport does, except that the
 * guard hands over its own app's strategy instead of a name.
 *
 * `AuthGuard('jwt')` finds its strategy in passport's registry, one per process, where each
 * `PassportStrategy` registers itself as it is constructed: the last one wins. With two apps in one
 * process (replicas in the e2e tests), an app's guard would run the other app's strategy, with that
 * app's config, database and Redis.
 *
 * passport takes a strategy object as well as a name, and sets its per-request actions (`success`,
 * `fail`, `error`) on it: it gets an object of its own per request, deriving from the app's
 * instance, as passport creates one for a name.
 */
export async function authenticateWith<TUser>(
  strategy: Strategy,
  context: ExecutionContext,
  verdict: Verdict<TUser>,
): Promise<TUser> {
  const http = context.switchToHttp();
  const request = http.getRequest<{ user?: TUser }>();
  const [error, found] = await new Promise<[Error | null | undefined, unknown]>((resolve) => {
    const authenticate = passport.authenticate(
      Object.create(strategy) as Strategy,
      { session: false },
      (error: Error | null | undefined, user: unknown) => resolve([error, user]),
    ) as Middleware;
    // passport calls next() only for a strategy that passes the request on (none of ours): no user.
    authenticate(request, http.getResponse(), (error) => resolve([error, false]));
  });
  const user = verdict(error, found);
  request.user = user;
  return user;
}
