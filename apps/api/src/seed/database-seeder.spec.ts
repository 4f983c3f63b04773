import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import type { PrismaService } from '@app/database';
import { makeConfig, makeUser, silenceLogger } from '../../../../test/utils/builders.js';
import { readPlanSeeds, defaultPlansFile } from '../billing/entitlements/plan-seeds.js';
import { DatabaseSeeder } from './database-seeder.js';

const ADMIN_EMAIL = 'admin@example.com';
const ADMIN_PASSWORD = 'a configured admin passphrase';

/** The rows the seed touches: the plans it upserts, the admin account it looks up and creates. */
function makePrisma() {
  return {
    plan: { upsert: vi.fn<PrismaService['plan']['upsert']>() },
    user: {
      findUnique: vi.fn<PrismaService['user']['findUnique']>(),
      create: vi.fn<PrismaService['user']['create']>(),
    },
  };
}

describe(DatabaseSeeder.name, () => {
  const logs = silenceLogger();
  const plans = readPlanSeeds(defaultPlansFile()).length;
  let prisma: ReturnType<typeof makePrisma>;

  const makeSut = (env: Record<string, string> = {}) =>
    new DatabaseSeeder(
      prisma as unknown as PrismaService,
      makeConfig({ DATABASE_SEED_ON_BOOT: 'true', LOG_FORMAT: 'json', ...env }),
    );
  const warnings = () => logs.warn.mock.calls.map(([message]) => String(message));

  beforeEach(() => {
    vi.clearAllMocks();
    prisma = makePrisma();
    prisma.user.findUnique.mockResolvedValue(null);
  });

  afterAll(() => {
    vi.restoreAllMocks();
  });

  it('seeds nothing when seedOnBoot is off', async () => {
    const sut = makeSut({ DATABASE_SEED_ON_BOOT: 'false' });

    await sut.onApplicationBootstrap();

    expect(prisma.plan.upsert).not.toHaveBeenCalled();
    expect(prisma.user.findUnique).not.toHaveBeenCalled();
    expect(sut.takeGeneratedAdmin()).toBeUndefined();
  });

  it('seeds the plans and logs how many', async () => {
    await makeSut().onApplicationBootstrap();

    expect(prisma.plan.upsert).toHaveBeenCalledTimes(plans);
    expect(logs.log).toHaveBeenCalledWith(`Seeded ${plans} plans`);
  });

  it('announces no admin account when it exists already', async () => {
    prisma.user.findUnique.mockResolvedValue(makeUser({ id: 'admin-1' }));
    const sut = makeSut();

    await sut.onApplicationBootstrap();

    expect(prisma.user.create).not.toHaveBeenCalled();
    expect(logs.warn).not.toHaveBeenCalled();
    expect(sut.takeGeneratedAdmin()).toBeUndefined();
  });

  it('announces an admin account created with the configured password, without the password', async () => {
    const sut = makeSut({ SEED_ADMIN_PASSWORD: ADMIN_PASSWORD });

    await sut.onApplicationBootstrap();

    expect(warnings()).toEqual([`Created admin account ${ADMIN_EMAIL}`]);
    expect(sut.takeGeneratedAdmin()).toBeUndefined();
  });

  it('with json logs, puts a generated password in the warning itself and keeps none for the banner', async () => {
    const sut = makeSut();

    await sut.onApplicationBootstrap();

    const [warning] = warnings();
    expect(warning).toMatch(new RegExp(`^Created admin account ${ADMIN_EMAIL} with the generated password \\S{16} `));
    expect(sut.takeGeneratedAdmin()).toBeUndefined();
  });

  it('with pretty logs, keeps a generated password out of the log for the boot banner, which takes it once', async () => {
    const sut = makeSut({ LOG_FORMAT: 'pretty' });

    await sut.onApplicationBootstrap();

    const admin = sut.takeGeneratedAdmin();
    expect(admin).toEqual({ email: ADMIN_EMAIL, password: expect.stringMatching(/^\S{16}$/) });
    expect(warnings()).toEqual([`Created admin account ${ADMIN_EMAIL} with a generated password (shown once, below)`]);
    expect(warnings().join()).not.toContain(admin?.password);
    expect(sut.takeGeneratedAdmin()).toBeUndefined();
  });

  it('fails the boot with the database’s own error when the seed cannot be written', async () => {
    const failure = new Error('database unavailable');
    prisma.plan.upsert.mockRejectedValue(failure);

    await expect(makeSut().onApplicationBootstrap()).rejects.toBe(failure);
  });
});
