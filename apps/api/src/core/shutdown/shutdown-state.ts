import { Injectable } from '@nestjs/common';

/**
 * Where this instance is in stopping, and the route handlers still running.
 *
 * `serving` → `draining` (SIGTERM: still serving, readiness answers 503, every response closes its
 * connection) → `closing` (the server accepts nothing new; in-flight work finishes). The database
 * and Redis connections close only once no handler runs, including handlers whose client has gone
 * (Fastify's close waits for open connections, not for those).
 */
@Injectable()
export class ShutdownState {
  private phase: 'serving' | 'draining' | 'closing' = 'serving';
  private running = 0;
  private readonly waiters = new Set<() => void>();

  /** True from SIGTERM on: the readiness probe fails, responses close their connections. */
  get stopping(): boolean {
    return this.phase !== 'serving';
  }

  /** Route handlers that have started and not yet finished. */
  get inFlight(): number {
    return this.running;
  }

  /** Starts draining and resolves after `ms`, while the instance keeps serving. */
  async drain(ms: number): Promise<void> {
    if (this.phase === 'serving') this.phase = 'draining';
    if (ms > 0) await new Promise((resolve) => setTimeout(resolve, ms));
  }

  /** The HTTP server is closing: nothing new is accepted. */
  markClosing(): void {
    this.phase = 'closing';
  }

  /** Counts `work` as in flight until it settles; its result (or rejection) passes through. */
  track<T>(work: Promise<T>): Promise<T> {
    this.running += 1;
    return work.finally(() => {
      this.running -= 1;
      if (this.running === 0) for (const wake of this.waiters) wake();
    });
  }

  /** Resolves once no handler runs, or after `timeoutMs`; says how many were still running. */
  async settled(timeoutMs: number): Promise<number> {
    if (this.running === 0) return 0;
    let wake = (): void => undefined;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      wake = resolve;
      this.waiters.add(wake);
      timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
    this.waiters.delete(wake);
    return this.running;
  }
}
