import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { loadConfig } from '@app/config';
import { bootBanner, describeCache, describeDatabase } from './boot-banner.js';

const admin = { email: 'admin@example.com', password: 'Generated-pass-1234' };

describe(bootBanner.name, () => {
  it('names the URLs, the embedded database and the memory cache, and the admin created by this boot', () => {
    const sut = bootBanner(loadConfig({ PORT: '4000', DATABASE_EMBEDDED_DIR: '.data/pglite' }), admin);

    expect(sut).toContain('API       http://localhost:4000\n');
    expect(sut).toContain('Docs      http://localhost:4000/docs\n');
    expect(sut).toContain('Database  embedded PGlite in .data/pglite\n');
    expect(sut).toContain('Cache     in-memory (this process only)\n');
    expect(sut).toContain('Admin     admin@example.com / Generated-pass-1234\n');
  });

  it('names real servers by host, port and database, never by their credentials', () => {
    const config = loadConfig({
      DATABASE_URL: 'postgresql://app:pg-s3cret@db.internal:6543/app_prod?sslmode=require&password=other',
      REDIS_URL: 'rediss://default:redis-s3cret@cache.internal:6380/2',
      DOCS_ENABLED: 'false',
    });

    const sut = bootBanner(config);

    expect(describeDatabase(config)).toBe('PostgreSQL at db.internal:6543/app_prod');
    expect(describeCache(config)).toBe('Redis at cache.internal:6380/2 (TLS)');
    expect(sut).toContain('Docs      disabled (DOCS_ENABLED=false)');
    for (const secret of ['s3cret', 'other', 'app:', 'default']) expect(sut).not.toContain(secret);
    expect(sut).not.toContain('Admin');
  });

  it('uses default ports, and says so for a database kept in memory', () => {
    const config = loadConfig({ DATABASE_EMBEDDED_DIR: 'memory://', REDIS_URL: 'redis://cache' });
    expect(describeDatabase(config)).toBe('embedded PGlite, in memory');
    expect(describeCache(config)).toBe('Redis at cache:6379');
    expect(describeDatabase(loadConfig({ DATABASE_URL: 'postgres://u:p@db/app' }))).toBe('PostgreSQL at db:5432/app');
  });

  it('never shows a password in production', () => {
    const config = loadConfig({
      NODE_ENV: 'production',
      LOG_FORMAT: 'pretty',
      JWT_SECRET: randomBytes(48).toString('base64url'),
      DATABASE_URL: 'postgres://db/app',
    });

    expect(bootBanner(config, admin)).not.toContain(admin.password);
  });
});
