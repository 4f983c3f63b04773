import type { AppConfig } from '@app/config';
import { DOCS_PATH } from './core/openapi/openapi.js';
import type { GeneratedAdminCredentials } from './seed/database-seeder.js';

/** Where a server runs, named without credentials: host, port and database of a URL, never its user or password. */
function serverOf(url: string, defaultPort: number): string {
  const parsed = new URL(url);
  const host = parsed.hostname ? `${parsed.hostname}:${parsed.port || defaultPort}` : 'local socket';
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  return database ? `${host}/${database}` : host;
}

export function describeDatabase(config: AppConfig): string {
  const { url, embeddedDir } = config.database;
  if (url) return `PostgreSQL at ${serverOf(url, 5432)}`;
  return embeddedDir.startsWith('memory://') ? 'embedded PGlite, in memory' : `embedded PGlite in ${embeddedDir}`;
}

export function describeCache(config: AppConfig): string {
  const { redisUrl } = config.cache;
  if (!redisUrl) return 'in-memory (this process only)';
  return `Redis at ${serverOf(redisUrl, 6379)}${redisUrl.startsWith('rediss:') ? ' (TLS)' : ''}`;
}

/** What the boot says last: the URLs, the database and the cache, all free of credentials. */
export function bootSummary(config: AppConfig): { url: string; docsUrl?: string; database: string; cache: string } {
  const url = config.app.publicUrl;
  return {
    url,
    ...(config.app.docsEnabled ? { docsUrl: `${url}/${DOCS_PATH}` } : {}),
    database: describeDatabase(config),
    cache: describeCache(config),
  };
}

/**
 * The banner ending a boot in pretty mode. The admin's generated password appears in it only
 * outside production, and only on the boot that created the account.
 */
export function bootBanner(config: AppConfig, admin?: GeneratedAdminCredentials): string {
  const summary = bootSummary(config);
  const rows: [string, string][] = [
    ['API', summary.url],
    ['Docs', summary.docsUrl ?? 'disabled (DOCS_ENABLED=false)'],
    ['Database', summary.database],
    ['Cache', summary.cache],
  ];
  if (admin && config.app.env !== 'production') {
    rows.push(['Admin', `${admin.email} / ${admin.password}`], ['', 'generated, shown once: sign in and change it']);
  }
  const lines = rows.map(([label, value]) => `  ${label.padEnd(10)}${value}`);
  return ['', `  ${config.app.name} is ready (${config.app.env})`, '', ...lines, ''].join('\n') + '\n';
}
