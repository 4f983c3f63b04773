import { defineConfig } from 'prisma/config';

// Prisma 7 keeps connection settings out of schema.prisma. The URL is only needed by
// Prisma CLI commands that talk to a database (`prisma migrate deploy`, `prisma studio`);
// the application and `npm run db:*` scripts read DATABASE_URL through libs/config.
export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: process.env.DATABASE_URL ?? '' },
});
