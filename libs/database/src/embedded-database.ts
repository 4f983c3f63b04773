import { mkdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';

/** `memory://` keeps the embedded database in memory; anything else is a data directory. */
export function openEmbeddedDatabase(dir: string): PGlite {
  if (dir.startsWith('memory://')) return new PGlite(dir);
  mkdirSync(dir, { recursive: true });
  return new PGlite(dir);
}
