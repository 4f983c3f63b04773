import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { openPGlite } from './pglite-image.js';

/**
 * Real PGlite clusters, in a scratch working directory with its own node_modules/.cache, so the
 * repository's image is neither used nor replaced. (Two of them run initdb: each costs seconds.)
 */
describe('openPGlite (fresh clusters from a cached image)', () => {
  const cwd = process.cwd();
  let scratch: string;
  const cacheDir = () => path.join(scratch, 'node_modules', '.cache', 'pglite-images');
  const images = () => (existsSync(cacheDir()) ? readdirSync(cacheDir()) : []);

  beforeAll(() => {
    scratch = mkdtempSync(path.join(tmpdir(), 'pglite-image-'));
  });

  afterEach(() => {
    process.chdir(cwd);
  });

  afterAll(() => {
    rmSync(scratch, { recursive: true, force: true });
  });

  it('keeps the image of the first fresh cluster and starts the next ones from it, each on its own', async () => {
    process.chdir(scratch);
    mkdirSync(path.join(scratch, 'node_modules'));

    const first = await openPGlite();
    await first.exec('CREATE TABLE written_after_the_image (id int)');
    await first.close();
    expect(images()).toEqual([expect.stringMatching(/^fresh-cluster-\d+\.\d+\.\d+\.tar$/)]);

    const second = await openPGlite();
    // The image is of the cluster before anything was written to it.
    expect((await second.query(`SELECT to_regclass('written_after_the_image') AS t`)).rows).toEqual([{ t: null }]);
    await second.close();
  }, 30_000);

  it('opens a data directory that holds a cluster as it is, and starts an empty one from the image', async () => {
    process.chdir(scratch);
    const dir = path.join(scratch, 'data');

    const created = await openPGlite(dir);
    await created.exec('CREATE TABLE kept (id int); INSERT INTO kept VALUES (7)');
    await created.close();
    const reopened = await openPGlite(dir);

    expect((await reopened.query('SELECT id FROM kept')).rows).toEqual([{ id: 7 }]);
    await reopened.close();
  }, 30_000);

  it('deletes an image that does not load and starts by initdb instead', async () => {
    process.chdir(scratch);
    const [image] = images();
    writeFileSync(path.join(cacheDir(), image ?? 'missing'), 'not a tarball');

    const database = await openPGlite();
    expect((await database.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
    await database.close();

    // Replaced by a good one.
    expect(images()).toEqual([image]);
    expect(statSync(path.join(cacheDir(), image ?? 'missing')).size).toBeGreaterThan(1_000_000);
  }, 30_000);
});
