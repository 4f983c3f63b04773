import { describe, expect, it } from 'vitest';
import { ESLint } from 'eslint';

/**
 * The project's ESLint config with only the boundary rule on. That rule reads import paths, not
 * types, so the TypeScript project the type-aware rules need is not built.
 */
const eslint = new ESLint({
  ruleFilter: ({ ruleId }) => ruleId === 'no-restricted-imports',
  overrideConfig: { languageOptions: { parserOptions: { projectService: false, project: null } } },
});

/**
 * Lints `code` as if it were the file at `filePath` with the project's ESLint config (as `npm run
 * lint` does), and returns the import-boundary errors by line.
 */
async function boundaryErrors(filePath: string, code: string): Promise<Record<number, string>> {
  const [result] = await eslint.lintText(code, { filePath });
  const errors: Record<number, string> = {};
  for (const m of result.messages) if (m.ruleId === 'no-restricted-imports') errors[m.line] = m.message;
  return errors;
}

// Real paths of the project, so each case falls under the same `files` globs of the config as the real file.
const LIB_FILE = 'libs/database/src/index.ts';
const APP_FILE = 'apps/api/src/app.module.ts';
const FEATURE_FILE = 'apps/api/src/auth/auth.service.ts';
const NESTED_FEATURE_FILE = 'apps/api/src/billing/stripe/stripe-webhooks.service.ts';
const SHARED_FILE = 'apps/api/src/core/idempotency/idempotency.service.ts';

describe('import boundaries (eslint.config.mjs)', () => {
  it('fails a lib that imports app code, or another lib other than through its alias', async () => {
    const code = [
      "import { AppConfig } from '@app/config';", // 1: ok, a lib's alias
      "import { PrismaService } from './prisma.service.js';", // 2: ok, the lib's own file
      "import { PLAN_RULES } from '../../../apps/api/src/billing/entitlements/plan-rules.js';", // 3: app code
      "import { cacheKey } from '../../redis/src/app-cache.service.js';", // 4: into another lib
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

  it('lets a feature reach another feature only through what its module exports, and never the wiring', async () => {
    const code = [
      "import { IamModule } from '../iam/iam.module.js';", // 1: ok, a shared room
      "import { UsersService } from '../users/users.service.js';", // 2: ok, an exported provider
      "import { UsersModule } from '../users/users.module.js';", // 3: ok, its module
      "import { UserResponseDto } from '../users/dto/user-response.dto.js';", // 4: ok, its DTOs
      "import { UserNotFoundError } from '../users/users.errors.js';", // 5: ok, its errors
      "import { UsersRepository } from '../users/users.repository.js';", // 6: another feature's internals
      "import { toUserResponse } from '../users/users.responses.js';", // 7: another feature's mapper
      "import { seedDatabase } from '../seed/seed.js';", // 8: wiring
      "import { AppModule } from '../app.module.js';", // 9: wiring
      "import { PLAN_RULES } from '../billing/entitlements/plan-rules.js';", // 10: internals in a subfolder
      "import { BillingService } from '../billing/subscriptions/billing.service.js';", // 11: ok, an exported provider
      'export const used = [IamModule, UsersService, UsersModule, UserResponseDto, UserNotFoundError,',
      '  UsersRepository, toUserResponse, seedDatabase, AppModule, PLAN_RULES, BillingService];',
    ].join('\n');

    const errors = await boundaryErrors(FEATURE_FILE, code);

    expect(Object.keys(errors).map(Number)).toEqual([6, 7, 8, 9, 10]);
    expect(errors[6]).toMatch(/only through what its module exports/);
    expect(errors[8]).toMatch(/never imports the wiring/);
  }, 120_000);

  it("holds the same arrows from a feature's subfolder, where its own other subfolders are home", async () => {
    const code = [
      "import { BillingService } from '../subscriptions/billing.service.js';", // 1: ok, its own feature
      "import { PLAN_RULES } from '../entitlements/plan-rules.js';", // 2: ok, its own feature
      "import { UsersRepository } from '../../users/users.repository.js';", // 3: another feature's internals
      "import { Public } from '../../iam/decorators/public.decorator.js';", // 4: ok, a shared room
      'export const used = [BillingService, PLAN_RULES, UsersRepository, Public];',
    ].join('\n');

    const errors = await boundaryErrors(NESTED_FEATURE_FILE, code);

    expect(Object.keys(errors).map(Number)).toEqual([3]);
  }, 120_000);

  it('keeps the shared rooms (core, iam, audit, mail) free of features and wiring', async () => {
    const code = [
      "import type { AuthUser } from '../../iam/auth-user.js';", // 1: ok, another shared room
      "import { UsersService } from '../../users/users.service.js';", // 2: a feature
      "import { DatabaseSeeder } from '../../seed/database-seeder.js';", // 3: wiring
      "import { AppModule } from '../../app.module.js';", // 4: wiring
      'export const used = [UsersService, DatabaseSeeder, AppModule];',
      'export type Caller = AuthUser;',
    ].join('\n');

    const errors = await boundaryErrors(SHARED_FILE, code);

    expect(Object.keys(errors).map(Number)).toEqual([2, 3, 4]);
    expect(errors[2]).toMatch(/import no feature and no wiring/);
  }, 120_000);
});
