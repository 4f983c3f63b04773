import { TEST_DATABASE_PREFIX, quoteIdent, withAdminClient } from './test-env.js';

/** Drops the databases this run's test files created (a file that crashed may not have dropped its own). */
export default async function globalTeardown(): Promise<void> {
  if (process.env.TEST_DB_MODE !== 'postgres') return;
  await withAdminClient(async (admin) => {
    const left = await admin.query<{ datname: string }>(
      `SELECT datname FROM pg_database WHERE datname LIKE $1 AND datname NOT LIKE $2`,
      [`${TEST_DATABASE_PREFIX}${process.env.TEST_RUN_ID ?? 'none'}\\_%`, `${TEST_DATABASE_PREFIX}template_%`],
    );
    for (const { datname } of left.rows)
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(datname)} WITH (FORCE)`);
  });
}
