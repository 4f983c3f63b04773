import { createHash } from 'node:crypto';
import { ErrorReply } from '@redis/client';
import type { RedisClient } from './redis-connection.js';

/** A call that did not settle within its time limit. */
export class OperationTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`timed out after ${timeoutMs} ms`);
  }
}

/** `promise`, or an {@link OperationTimeoutError} once `timeoutMs` have passed. */
export function withTimeout<T>(promise: Promise<T>, timeoutMs: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new OperationTimeoutError(timeoutMs)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A Lua script run by its SHA1 (EVALSHA). The first call on a Redis that has not seen it (a new
 * server, a restart, SCRIPT FLUSH) sends the source itself, which also caches it for the next call.
 */
export class RedisScript {
  private readonly sha1: string;

  constructor(private readonly source: string) {
    this.sha1 = createHash('sha1').update(source).digest('hex');
  }

  run(client: RedisClient, options: { keys: string[]; arguments: string[] }): Promise<unknown> {
    return client.evalSha(this.sha1, options).catch((error: unknown) => {
      if (error instanceof ErrorReply && error.message.startsWith('NOSCRIPT')) return client.eval(this.source, options);
      throw error;
    });
  }
}
