import type { FastifyRequest } from 'fastify';

/** What {@link loggedRoute} gives for a request that matched no route. */
const UNMATCHED_ROUTE = '(no route)';

/**
 * The request's route as logs may show it: the pattern it matched
 * (`/v1/billing/local-checkout/:token`), never the raw path, which can carry a bearer token (a
 * checkout link, a mistyped one that matched nothing included).
 */
export function loggedRoute(request: FastifyRequest): string {
  return request.routeOptions.url ?? UNMATCHED_ROUTE;
}
