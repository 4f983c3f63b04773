export * from './database.module.js';
export * from './prisma.service.js';
export * from './database-errors.js';
export * from './sql-session.js';
export * from './embedded-database.js';
export * from './migrations/migration-files.js';
export * from './migrations/migration-runner.js';
export { Prisma } from './generated/prisma/client.js';
export type { User, Plan, Subscription, Invoice, SecurityEvent, ApiKey } from './generated/prisma/client.js';
export {
  Role,
  UserStatus,
  PlanInterval,
  UserTokenPurpose,
  SubscriptionStatus,
  InvoiceStatus,
} from './generated/prisma/enums.js';
export { runWithReplicaReads } from './replicas/read-scope.js';
export {
  REPLICA_CHECK_APPLICATION_NAME,
  REPLICA_READS_APPLICATION_NAME,
  type ReplicaStatus,
} from './replicas/read-replicas.js';
