import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openPGlite } from './pglite-image.js';

/**
 * Real PGlite clusters, in a scratch working directory with its own node_modules/.cache, so the
 * repository's image is neither used nor replaced. Only the first case runs initdb (seconds of CPU).
 */
describe('openPGlite (fresh clusters from a cached image)', () => {
  const cwd = process.cwd();
  const { version } = JSON.parse(readFileSync('node_modules/@electric-sql/pglite/package.json', 'utf8')) as {
    version: string;
  };
  let scratch: string;
  const cacheDir = () => path.join(scratch, 'node_modules', '.cache', 'pglite-images');
  const image = () => path.join(cacheDir(), `fresh-cluster-${version}.tar`);

  beforeAll(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'pglite-image-'));
    mkdirSync(cacheDir(), { recursive: true });
  });

  afterEach(() => {
    process.chdir(cwd);
  });

  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  it('replaces an image that does not load by a good one, made by initdb', async () => {
    process.chdir(scratch);
    writeFileSync(image(), 'not a tarball');

    const database = await openPGlite();
    expect((await database.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await database.close();

    expect(readdirSync(cacheDir())).toEqual([path.basename(image())]);
    expect(statSync(image()).size).toBeGreaterThan(1_000_000);
    // initdb in WebAssembly: 8 s alone on this 2-core machine, 20 s and more beside the rest of the suite.
  }, 60_000);

  it('starts the next clusters from the image, each without what was written to another', async () => {
    process.chdir(scratch);

    const first = await openPGlite();
    await first.exec('CREATE TABLE written_after_the_image (id int)');
    await first.close();
    const second = await openPGlite();

    expect((await second.query(`SELECT to_regclass('written_after_the_image') AS t`)).rows).toEqual([{ t: null }]);
    await second.close();
  }, 30_000);

  it('starts an empty data directory from the image, and opens one that holds a cluster as it is', async () => {
    process.chdir(scratch);
    const dir = path.join(scratch, 'data');

    const created = await openPGlite(dir);
    await created.exec('CREATE TABLE kept (id int); INSERT INTO kept VALUES (7)');
    await created.close();
    const reopened = await openPGlite(dir);

    expect((await reopened.query('SELECT id FROM kept')).rows).toEqual([{ id: 7 }]);
    await reopened.close();
  }, 30_000);
});
