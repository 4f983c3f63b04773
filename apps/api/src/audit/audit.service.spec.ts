import { beforeEach, describe, expect, it, vi } from 'vitest';
import { BY_CREATION, ValidationFailedError } from '@app/common';
import { makeSecurityEvent } from '../../../../test/utils/builders.js';
import { AuditService } from './audit.service.js';
import { SecurityEventType, type SecurityEventsRepository } from './security-events.repository.js';

function makeCollaborators() {
  return {
    events: {
      listForUser: vi.fn<SecurityEventsRepository['listForUser']>(),
      list: vi.fn<SecurityEventsRepository['list']>(),
    },
  };
}

const OWNER = '01937a5e-0000-7000-8000-000000000001';
const ADMIN = '01937a5e-0000-7000-8000-000000000002';

describe(AuditService.name, () => {
  let deps: ReturnType<typeof makeCollaborators>;
  let sut: AuditService;

  beforeEach(() => {
    deps = makeCollaborators();
    deps.events.listForUser.mockResolvedValue([]);
    deps.events.list.mockResolvedValue([]);
    sut = new AuditService(deps.events as unknown as SecurityEventsRepository);
  });

  describe('listOwn', () => {
    it('reads only the caller’s events, one row more than the page to know whether another follows', async () => {
      await sut.listOwn(OWNER, { limit: 20, cursor: 'abc' });

      expect(deps.events.listForUser).toHaveBeenCalledWith(OWNER, { cursor: 'abc', take: 21 });
      expect(deps.events.list).not.toHaveBeenCalled();
    });

    it('pages with a cursor at the last row shown, and none on the last page', async () => {
      const rows = [3, 2, 1].map((n) =>
        makeSecurityEvent({ userId: OWNER, createdAt: new Date(Date.UTC(2026, 0, n)) }),
      );
      deps.events.listForUser.mockResolvedValue(rows);

      const page = await sut.listOwn(OWNER, { limit: 2 });

      expect(page.items.map((item) => item.id)).toEqual([rows[0]?.id, rows[1]?.id]);
      expect(BY_CREATION.decode(page.nextCursor ?? '')).toEqual({ createdAt: rows[1]?.createdAt, id: rows[1]?.id });
      deps.events.listForUser.mockResolvedValue(rows.slice(0, 2));
      expect((await sut.listOwn(OWNER, { limit: 2 })).nextCursor).toBeNull();
    });

    // ASVS 5.0 16.2.1: each entry says when, where (IP, User-Agent), who and what.
    it('answers what happened, when, from where and by whom, and no target (it is the caller)', async () => {
      const event = makeSecurityEvent({ userId: OWNER, sessionId: '01937a5e-0000-7000-8000-00000000000a' });
      deps.events.listForUser.mockResolvedValue([event]);

      const { items } = await sut.listOwn(OWNER, { limit: 20 });

      expect(items).toEqual([
        {
          id: event.id,
          type: 'LOGIN_SUCCEEDED',
          createdAt: '2026-01-02T03:04:05.000Z',
          actor: { kind: 'SELF', id: OWNER },
          ip: '203.0.113.7',
          userAgent: 'jest',
          sessionId: '01937a5e-0000-7000-8000-00000000000a',
          details: {},
        },
      ]);
    });

    it.each([
      ['the account itself', OWNER, { kind: 'SELF', id: OWNER }],
      ['an administrator', ADMIN, { kind: 'ADMIN', id: ADMIN }],
      ['nobody signed in', null, { kind: 'ANONYMOUS', id: null }],
    ])('tells an event caused by %s', async (_label, actorId, actor) => {
      deps.events.listForUser.mockResolvedValue([makeSecurityEvent({ userId: OWNER, actorId })]);

      const { items } = await sut.listOwn(OWNER, { limit: 20 });

      expect(items[0]?.actor).toEqual(actor);
    });

    it.each([
      [SecurityEventType.LoginFailed, { reason: 'wrong_password' }, { reason: 'wrong_password' }],
      [SecurityEventType.LoginLockedOut, { scope: 'account_ip' }, { scope: 'account_ip' }],
      [
        SecurityEventType.AllSessionsRevoked,
        { reason: 'USER_DISABLED', count: 3 },
        { reason: 'USER_DISABLED', count: 3 },
      ],
      [
        SecurityEventType.RoleChanged,
        { by: ADMIN, from: 'USER', to: 'ADMIN' },
        { previousRole: 'USER', newRole: 'ADMIN' },
      ],
      [SecurityEventType.RefreshTokenReused, { sessionWasActive: false }, { sessionWasActive: false }],
      // The addresses an email change moved between stay in the table (ASVS 5.0 16.2.5).
      [SecurityEventType.EmailChanged, { from: 'old@example.com' }, {}],
      [SecurityEventType.EmailChangeCancelled, { reverted: true, from: 'thief@example.com' }, { reverted: true }],
      [SecurityEventType.UserDeleted, { by: ADMIN }, {}],
      [
        SecurityEventType.ApiKeyCreated,
        { apiKeyId: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', scopes: 'profile:read users:write billing:read' },
        { apiKeyId: '0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', scopes: ['profile:read', 'billing:read'] },
      ],
      [
        SecurityEventType.ApiKeyRevoked,
        { apiKeyId: 'nsk_not-an-id', reason: 'REVOKED_BY_USER' },
        { reason: 'REVOKED_BY_USER' },
      ],
      [SecurityEventType.ApiKeyRevoked, { reason: 'USER_DISABLED', count: 2 }, { reason: 'USER_DISABLED', count: 2 }],
    ])('shows of the %s details only what names no address and no account: %j', async (type, stored, shown) => {
      deps.events.listForUser.mockResolvedValue([makeSecurityEvent({ userId: OWNER, type, details: stored })]);

      const { items } = await sut.listOwn(OWNER, { limit: 20 });

      expect(items[0]?.details).toEqual(shown);
    });

    it.each([
      ['no details', null],
      ['details of the wrong types', { reason: 'not a word!', count: -1, from: 'ROOT' }],
      ['an array', ['wrong_password']],
    ])('shows nothing of %s', async (_label, details) => {
      deps.events.listForUser.mockResolvedValue([
        makeSecurityEvent({ userId: OWNER, type: SecurityEventType.LoginFailed, details }),
        makeSecurityEvent({ userId: OWNER, type: SecurityEventType.AllSessionsRevoked, details }),
        makeSecurityEvent({ userId: OWNER, type: SecurityEventType.RoleChanged, details }),
      ]);

      const { items } = await sut.listOwn(OWNER, { limit: 20 });

      expect(items.map((item) => item.details)).toEqual([{}, {}, {}]);
    });
  });

  describe('list', () => {
    it('passes every filter on, with the time range as instants', async () => {
      await sut.list({
        limit: 50,
        cursor: 'abc',
        userId: OWNER,
        actorId: ADMIN,
        type: SecurityEventType.RoleChanged,
        from: '2026-01-02T04:04:05+01:00',
        to: '2026-01-03T00:00:00.5Z',
      });

      expect(deps.events.list).toHaveBeenCalledWith(
        {
          userId: OWNER,
          actorId: ADMIN,
          type: 'ROLE_CHANGED',
          from: new Date('2026-01-02T03:04:05.000Z'),
          to: new Date('2026-01-03T00:00:00.500Z'),
        },
        { cursor: 'abc', take: 51 },
      );
    });

    it('reads the whole log without filters', async () => {
      await sut.list({ limit: 20 });

      expect(deps.events.list).toHaveBeenCalledWith(
        { userId: undefined, actorId: undefined, type: undefined, from: undefined, to: undefined },
        { cursor: undefined, take: 21 },
      );
    });

    it.each([
      ['before from', '2026-01-01T00:00:00Z'],
      ['equal to from', '2026-01-02T00:00:00Z'],
      ['the same instant in another offset', '2026-01-02T01:00:00+01:00'],
    ])('refuses a `to` %s, on `to`, without reading', async (_label, to) => {
      const listing = sut.list({ limit: 20, from: '2026-01-02T00:00:00Z', to });

      await expect(listing).rejects.toThrow(ValidationFailedError);
      await expect(listing).rejects.toMatchObject({
        extensions: { errors: [{ field: 'to', message: 'to must be later than from' }] },
      });
      expect(deps.events.list).not.toHaveBeenCalled();
    });

    it('answers each event with its target', async () => {
      const event = makeSecurityEvent({ userId: OWNER, actorId: ADMIN, type: SecurityEventType.UserDisabled });
      deps.events.list.mockResolvedValue([event]);

      const { items, nextCursor } = await sut.list({ limit: 20 });

      expect(items).toEqual([
        expect.objectContaining({
          id: event.id,
          userId: OWNER,
          actor: { kind: 'ADMIN', id: ADMIN },
          type: 'USER_DISABLED',
        }),
      ]);
      expect(nextCursor).toBeNull();
    });

    it('tells a failed sign-in with an unknown email: no target, no actor', async () => {
      deps.events.list.mockResolvedValue([
        makeSecurityEvent({
          userId: null,
          actorId: null,
          type: SecurityEventType.LoginFailed,
          details: { reason: 'unknown_email' },
        }),
      ]);

      const { items } = await sut.list({ limit: 20 });

      expect(items[0]).toMatchObject({
        userId: null,
        actor: { kind: 'ANONYMOUS', id: null },
        details: { reason: 'unknown_email' },
      });
    });
  });
});
