import { createHash } from 'node:crypto';
import pg from 'pg';
import { createClient } from '@redis/client';
import { defaultMigrationsDir, readMigrationFiles } from '../../libs/database/src/migrations/migration-files.js';

/** Where the suite finds its servers; overridable for machines whose services live elsewhere. */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** Every database the suite creates starts with this, so leftovers of a killed run can be found. */
export const TEST_DATABASE_PREFIX = 'nest_starter_test_';

/** The template's name changes with the migrations, so an edited migration gets a fresh template. */
export function templateDatabaseName(): string {
  const digest = createHash('sha256');
  for (const file of readMigrationFiles(defaultMigrationsDir())) digest.update(file.name).update(file.checksum);
  return `${TEST_DATABASE_PREFIX}template_${digest.digest('hex').slice(0, 12)}`;
}

export function databaseUrl(name: string): string {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function redisReachable(): Promise<boolean> {
  const client = createClient({ url: TEST_REDIS_URL, socket: { connectTimeout: 2_000, reconnectStrategy: false } });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    if (client.isOpen) client.destroy();
  }
}

/** Runs `fn` on a maintenance connection to the test server. */
export async function withAdminClient<T>(fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 5_000 });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Identifiers we create are [a-z0-9_] only; quoting keeps that an invariant anyway. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
