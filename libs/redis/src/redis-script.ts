import { createHash } from 'node:crypto';
import { ErrorReply } from '@redis/client';
import type { RedisClient } from './redis-connection.js';

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
