import type { FastifyInstance } from 'fastify';
import type { AppConfig } from '@app/config';
import type { ShutdownState } from './shutdown-state.js';

/**
 * Wires {@link ShutdownState} into Fastify. Call before the app's routes are registered (Nest
 * registers them in `init()`): every route handler registered afterwards is tracked.
 *
 * - Every handler's run counts as in flight until Nest has answered (or failed to).
 * - While stopping, a response also closes its keep-alive connection: a load balancer's pooled
 *   connection to this instance goes away after an answer, never under a request it is sending.
 * - Fastify's close resolves only once no handler (nor work given to {@link ShutdownState.track})
 *   runs, so the database and Redis connections, closed after it, never close under a handler whose
 *   client left. SHUTDOWN_TIMEOUT_MS bounds it all: then open connections are cut and the close
 *   goes on.
 */
export function registerGracefulShutdown(
  fastify: FastifyInstance,
  state: ShutdownState,
  config: AppConfig,
  warn: (message: string) => void,
): void {
  fastify.addHook('onRoute', (route) => {
    const handler = route.handler;
    route.handler = function tracked(this: FastifyInstance, ...args: Parameters<typeof handler>) {
      return state.track(Promise.resolve(handler.apply(this, args)));
    };
  });
  // SHUTDOWN_TIMEOUT_MS bounds the whole close: connections whose request still runs are cut then.
  let deadline = 0;
  let cutConnections: NodeJS.Timeout | undefined;
  fastify.addHook('preClose', (done) => {
    state.markClosing();
    deadline = Date.now() + config.http.shutdownTimeoutMs;
    cutConnections = setTimeout(() => fastify.server.closeAllConnections(), config.http.shutdownTimeoutMs);
    cutConnections.unref();
    done();
  });
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (state.stopping) void reply.header('connection', 'close');
    done(null, payload);
  });
  fastify.addHook('onClose', async () => {
    clearTimeout(cutConnections);
    const left = await state.settled(Math.max(0, deadline - Date.now()));
    if (left > 0) {
      warn(
        `${left} request handler${left === 1 ? '' : 's'} still running after SHUTDOWN_TIMEOUT_MS ` +
          `(${config.http.shutdownTimeoutMs} ms): closing the database and Redis connections anyway`,
      );
    }
  });
}
