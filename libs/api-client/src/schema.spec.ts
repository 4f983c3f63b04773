import { describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const SCHEMA = 'libs/api-client/src/schema.d.ts';
const CLI = 'node_modules/openapi-typescript/bin/cli.js';

/** The first line where two texts differ, to point at the change without a 3,000-line diff. */
function firstDifference(committed: string, fresh: string): string {
  const a = committed.split('\n');
  const b = fresh.split('\n');
  const line = a.findIndex((text, index) => text !== b[index]);
  const at = line === -1 ? a.length : line;
  return `line ${at + 1}:\n  committed: ${a[at] ?? '<end of file>'}\n  generated: ${b[at] ?? '<end of file>'}`;
}

describe('the generated API client schema', () => {
  it('is what `npm run client` generates from the committed openapi.json', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'api-client-'));
    try {
      const output = path.join(dir, 'schema.d.ts');
      // Exactly the `client` script of package.json, written to a temporary file.
      await promisify(execFile)(process.execPath, [CLI, 'openapi.json', '-o', output]);
      const [committed, fresh] = await Promise.all([readFile(SCHEMA, 'utf8'), readFile(output, 'utf8')]);
      if (committed !== fresh) {
        throw new Error(
          `${SCHEMA} is stale: run \`npm run client\` and commit it. First difference at ${firstDifference(committed, fresh)}`,
        );
      }
      expect(committed).toContain('export interface paths');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 30_000);
});
