import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { AppConfig } from '@app/config';
import { runWithReplicaReads } from '@app/database';

/**
 * Each request is one unit of work for the read replicas: its reads may go to a replica until it
 * writes, and from then on to the primary, so a request always reads its own writes. Without
 * DATABASE_REPLICA_URLS there is nothing to route and no hook.
 */
export function registerReplicaReads(app: NestFastifyApplication, config: AppConfig): void {
  if (config.database.replicas.urls.length === 0) return;
  app
    .getHttpAdapter()
    .getInstance()
    .addHook('onRequest', (_request, _reply, done) => {
      runWithReplicaReads(done);
    });
}
