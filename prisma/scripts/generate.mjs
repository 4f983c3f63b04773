// Generates the Prisma client (libs/database/src/generated/prisma) from prisma/schema.prisma.
//
// `prisma generate` never runs the schema engine, but Prisma's CLI still tries to download it
// first and fails on machines without internet access. Pointing PRISMA_SCHEMA_ENGINE_BINARY at
// any existing executable skips that download; an explicit value from the environment wins.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const prismaCli = require.resolve('prisma/build/index.js');
const result = spawnSync(process.execPath, [prismaCli, 'generate'], {
  stdio: 'inherit',
  env: {
    ...process.env,
    PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? process.execPath,
    PRISMA_HIDE_UPDATE_MESSAGE: '1',
  },
});
process.exit(result.status ?? 1);
