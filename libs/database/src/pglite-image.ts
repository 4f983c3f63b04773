import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { PGlite, PGliteOptions } from '@electric-sql/pglite';

/**
 * A new PGlite cluster starts with initdb, about 3 CPU-seconds of WebAssembly. A tarball of a
 * fresh cluster (`dumpDataDir()` right after initdb, before anything is written) loads in well
 * under one, so one is kept per PGlite version in `node_modules/.cache/` (where build tools keep
 * theirs; `npm ci` starts it over) and every later fresh cluster starts from it: the embedded
 * database's first boot, and each shadow database of `npm run db:migration`.
 *
 * No `node_modules` in the working directory (an installed app run from elsewhere), or one that
 * cannot be written: clusters start with initdb as before. A tarball that does not load is deleted.
 */
const CACHE_DIR = path.join('node_modules', '.cache', 'pglite-images');

/** Where this PGlite version's image is kept, or undefined when there is no place for it. */
function imagePath(): string | undefined {
  const version = pgliteVersion();
  if (!existsSync('node_modules') || version === undefined) return undefined;
  return path.resolve(CACHE_DIR, `fresh-cluster-${version}.tar`);
}

/**
 * The installed PGlite's version (its package.json is not among its exports: found from its
 * entry); undefined when it cannot be told, so no image is shared between versions.
 */
function pgliteVersion(): string | undefined {
  const entry = createRequire(import.meta.url).resolve('@electric-sql/pglite');
  for (let dir = path.dirname(entry); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const manifest = path.join(dir, 'package.json');
    if (!existsSync(manifest)) continue;
    const { name, version } = JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string; version?: string };
    if (name === '@electric-sql/pglite' && version) return version;
  }
  return undefined;
}

/**
 * A fresh cluster: in memory (`memory://`, or no `dataDir`), or in `dataDir` when that holds no
 * cluster yet (one that does is opened as it is).
 */
export async function openPGlite(dataDir?: string): Promise<PGlite> {
  const { PGlite } = await import('@electric-sql/pglite');
  const inMemory = dataDir === undefined || dataDir.startsWith('memory://');
  if (!inMemory) {
    mkdirSync(dataDir, { recursive: true });
    if (readdirSync(dataDir).length > 0) return PGlite.create(dataDir);
  }
  const image = imagePath();
  const options = (loadDataDir?: Blob): PGliteOptions => ({ ...(inMemory ? {} : { dataDir }), loadDataDir });
  if (image && existsSync(image)) {
    try {
      return await PGlite.create(options(new Blob([readFileSync(image)])));
    } catch {
      // Truncated or from an incompatible build: start over, and make a new image below.
      rmSync(image, { force: true });
      if (!inMemory) {
        rmSync(dataDir, { recursive: true, force: true });
        mkdirSync(dataDir, { recursive: true });
      }
    }
  }
  const database = await PGlite.create(options());
  if (image) await saveImage(database, image);
  return database;
}

/** Writes the image of a cluster nothing has written to yet; atomically, so readers never see half. */
async function saveImage(database: PGlite, image: string): Promise<void> {
  try {
    const tarball = Buffer.from(await (await database.dumpDataDir('none')).arrayBuffer());
    mkdirSync(path.dirname(image), { recursive: true });
    const partial = `${image}.${process.pid}.partial`;
    writeFileSync(partial, tarball);
    renameSync(partial, image);
  } catch {
    // A read-only or full disk: the next fresh cluster runs initdb again, nothing else changes.
  }
}
