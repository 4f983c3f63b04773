import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { LightMyRequestResponse } from 'fastify';
import { PrismaService } from '@app/database';
import { createAccountWithRole, type TestAccount } from './utils/auth.js';
import { expectProblem } from './utils/problem.js';
import { createTestApp, type TestApp } from './utils/test-app.js';

const LAST_ADMIN = {
  type: 'urn:problem-type:last-admin',
  title: 'Conflict',
  status: 409,
  detail: 'This is the last active administrator: make another account an active administrator first.',
  code: 'LAST_ADMIN',
};

/**
 * No change may leave the application without an active administrator: nobody could manage
 * users any more (ASVS 5.0 V2.3.3 and V2.3.4: the rule holds under concurrency, with the
 * administrators' rows locked in the write's transaction).
 */
describe('the last active administrator (e2e)', () => {
  let t: TestApp;
  let prisma: PrismaService;

  beforeAll(async () => {
    t = await createTestApp();
    prisma = t.app.get(PrismaService);
  });

  afterAll(async () => {
    await t.close();
  });

  // Each test starts with no active administrator but the ones it creates.
  beforeEach(async () => {
    await prisma.user.updateMany({ where: { role: 'ADMIN' }, data: { role: 'USER' } });
  });

  const activeAdmins = () => prisma.user.count({ where: { role: 'ADMIN', status: 'ACTIVE' } });
  const deleteMe = (account: TestAccount) =>
    t.app.inject({
      method: 'DELETE',
      url: '/v1/users/me',
      headers: account.auth,
      payload: { password: account.password },
    });
  const adminPatch = (actor: TestAccount, target: TestAccount, payload: Record<string, unknown>) =>
    t.app.inject({ method: 'PATCH', url: `/v1/users/${target.id}`, headers: actor.auth, payload });
  const adminDelete = (actor: TestAccount, target: TestAccount) =>
    t.app.inject({ method: 'DELETE', url: `/v1/users/${target.id}`, headers: actor.auth });

  it('cannot delete their own account through DELETE /v1/users/me (409 LAST_ADMIN)', async () => {
    const admin = await createAccountWithRole(t.app, 'ADMIN');

    expectProblem(await deleteMe(admin), LAST_ADMIN, '/v1/users/me');

    expect(await prisma.user.findUniqueOrThrow({ where: { id: admin.id } })).toMatchObject({
      status: 'ACTIVE',
      role: 'ADMIN',
    });
    expect((await t.app.inject({ method: 'GET', url: '/v1/users/me', headers: admin.auth })).statusCode).toBe(200);
  });

  it('can delete their account once another administrator is active', async () => {
    const admin = await createAccountWithRole(t.app, 'ADMIN');
    await createAccountWithRole(t.app, 'ADMIN');

    expect((await deleteMe(admin)).statusCode).toBe(204);
    expect(await activeAdmins()).toBe(1);
  });

  it('a disabled administrator does not count: the only active one stays undeletable', async () => {
    const admin = await createAccountWithRole(t.app, 'ADMIN');
    const other = await createAccountWithRole(t.app, 'ADMIN');
    expect((await adminPatch(admin, other, { status: 'DISABLED' })).statusCode).toBe(200);

    expectProblem(await deleteMe(admin), LAST_ADMIN, '/v1/users/me');
    expect(await activeAdmins()).toBe(1);
  });

  it('a plain user deletes their account even when no administrator exists', async () => {
    const user = await createAccountWithRole(t.app, 'USER');

    expect((await deleteMe(user)).statusCode).toBe(204);
  });

  it.each([
    ['demote each other', (a: TestAccount, b: TestAccount) => adminPatch(a, b, { role: 'USER' })],
    ['disable each other', (a: TestAccount, b: TestAccount) => adminPatch(a, b, { status: 'DISABLED' })],
    ['delete each other', (a: TestAccount, b: TestAccount) => adminDelete(a, b)],
  ])('two administrators who %s at the same moment leave one active administrator', async (_label, act) => {
    // Several rounds: without the lock both requests read two admins and both succeed.
    for (let round = 0; round < 5; round++) {
      await prisma.user.updateMany({ where: { role: 'ADMIN' }, data: { role: 'USER' } });
      const a = await createAccountWithRole(t.app, 'ADMIN');
      const b = await createAccountWithRole(t.app, 'ADMIN');

      const answers: LightMyRequestResponse[] = await Promise.all([act(a, b), act(b, a)]);

      const statuses = answers.map((res) => res.statusCode).sort();
      expect({ round, statuses }).toEqual({ round, statuses: [statuses[0] === 200 ? 200 : 204, 409] });
      const refused = answers.find((res) => res.statusCode === 409);
      expect(refused?.json()).toMatchObject({ code: 'LAST_ADMIN' });
      expect({ round, activeAdmins: await activeAdmins() }).toEqual({ round, activeAdmins: 1 });
    }
  });
});
