import { describe, expect, it } from '@jest/globals';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);

interface LintMessage {
  ruleId: string | null;
  line: number;
  message: string;
}

/**
 * Lints `code` as if it were the file at `filePath` with the project's ESLint config, through the
 * CLI (as `npm run lint` does), and returns the import-boundary errors by line.
 */
async function boundaryErrors(filePath: string, code: string): Promise<Record<number, string>> {
  const run = execFileAsync(
    process.execPath,
    ['node_modules/eslint/bin/eslint.js', '--stdin', '--stdin-filename', filePath, '--format', 'json'],
    { timeout: 120_000, maxBuffer: 10 * 1024 * 1024 },
  );
  run.child.stdin?.end(code);
  // ESLint exits 1 when it reports errors; the report is on stdout either way.
  const { stdout } = await run.catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '[]' }));
  const [result] = JSON.parse(stdout) as { messages: LintMessage[] }[];
  const errors: Record<number, string> = {};
  for (const m of result.messages) if (m.ruleId === 'no-restricted-imports') errors[m.line] = m.message;
  return errors;
}

// Existing paths: the type-aware config lints only files of the project.
const LIB_FILE = 'libs/database/src/index.ts';
const APP_FILE = 'apps/api/src/app.module.ts';

describe('import boundaries (eslint.config.mjs)', () => {
  it('fails a lib that imports app code, or another lib other than through its alias', async () => {
    const code = [
      "import { AppConfig } from '@app/config';", // 1: ok, a lib's alias
      "import { PrismaService } from './prisma.service.js';", // 2: ok, the lib's own file
      "import { PLAN_RULES } from '../../../apps/api/src/billing/entitlements/plan-rules.js';", // 3: app code
      "import { cacheKey } from '../../cache/src/app-cache.service.js';", // 4: into another lib
      "import { BillingModule } from '@app/api/billing';", // 5: an alias of app code
      "import { createTestApp } from '../../../test/utils/test-app.js';", // 6: test code
      "import { spec } from '../../../tools/openapi.mjs';", // 7: developer tooling
      'export const used = [AppConfig, PrismaService, PLAN_RULES, cacheKey, BillingModule, createTestApp, spec];',
    ].join('\n');

    const errors = await boundaryErrors(LIB_FILE, code);

    expect(Object.keys(errors).map(Number)).toEqual([3, 4, 5, 6, 7]);
    expect(errors[3]).toMatch(/A lib never imports app/);
  }, 120_000);

  it('lets the app import libs through their aliases only, and no tooling', async () => {
    const code = [
      "import { PrismaService } from '@app/database';", // 1: ok
      "import { BillingModule } from './billing/billing.module.js';", // 2: ok
      "import { AppConfig } from '../../../libs/config/src/app-config.js';", // 3: past the alias
      "import { spec } from '../../../tools/openapi.mjs';", // 4: developer tooling
      'export const used = [PrismaService, BillingModule, AppConfig, spec];',
    ].join('\n');

    const errors = await boundaryErrors(APP_FILE, code);

    expect(Object.keys(errors).map(Number)).toEqual([3, 4]);
    expect(errors[4]).toMatch(/never imports the developer tooling/);
  }, 120_000);
});
