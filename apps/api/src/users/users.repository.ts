import { Injectable } from '@nestjs/common';
import { Prisma, PrismaService, type Role, type User, type UserStatus, type UserTokenPurpose } from '@app/database';
import { USER_KEYSETS, type UserSortField } from './dto/list-users-query.dto.js';

export interface UserListFilter {
  emailPrefix?: string | undefined;
  role?: Role | undefined;
  status?: UserStatus | undefined;
  sort: UserSortField;
  order: 'asc' | 'desc';
  cursor?: string | undefined;
  /** Rows to fetch (page size + 1, to know whether another page exists). */
  take: number;
}

/** The fields a write may change; the service decides which it sets. */
export type UserChanges = Partial<
  Pick<
    User,
    | 'email'
    | 'name'
    | 'passwordHash'
    | 'role'
    | 'status'
    | 'emailVerifiedAt'
    | 'pendingEmail'
    | 'passwordChangedAt'
    | 'deletedAt'
  >
>;

function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

export class UniqueEmailViolation extends Error {}

/** The write would have left no active administrator; nothing was changed. */
export class NoActiveAdminLeft extends Error {}

export interface UserWriteOptions {
  /** The user's unused emailed tokens of these purposes stop working, in the same transaction. */
  retireTokens?: readonly UserTokenPurpose[];
  /**
   * Refuse ({@link NoActiveAdminLeft}) a write that turns the last active administrator into
   * something else. Such writes are serialised: each locks the active administrators' rows first,
   * so two admins demoting each other at once can't both succeed.
   */
  keepAnActiveAdmin?: boolean;
}

/** `%`, `_` and `\` match themselves in a LIKE pattern built from `value`. */
function escapeLike(value: string): string {
  return value.replace(/[\\%_]/g, (char) => `\\${char}`);
}

@Injectable()
export class UsersRepository {
  constructor(private readonly prisma: PrismaService) {}

  /**
   * On the primary (read replicas lag): the row backs password re-checks, role and status changes
   * decided from it, the token flows, and the cached `me` every instance serves afterwards.
   */
  findById(id: string): Promise<User | null> {
    return this.prisma.primary.user.findUnique({ where: { id } });
  }

  /**
   * On the primary: sign-in checks the password against it (a lagging replica could still accept
   * a password just changed or reset, or miss an account just registered).
   */
  findByEmail(email: string): Promise<User | null> {
    return this.prisma.primary.user.findUnique({ where: { email } });
  }

  /**
   * Whether another account has `email`, or holds it in reserve: an address an account moved away
   * from stays reserved while the cancel link mailed to it can still bring it back. On the primary:
   * no unique index backs the reservation, only this read.
   */
  async emailInUse(email: string, exceptUserId?: string): Promise<boolean> {
    const others = exceptUserId ? { not: exceptUserId } : undefined;
    const [owner, reservation] = await Promise.all([
      this.prisma.primary.user.findFirst({ where: { email, id: others }, select: { id: true } }),
      this.prisma.primary.userToken.findFirst({
        where: { email, purpose: 'EMAIL_CHANGE_CANCEL', usedAt: null, expiresAt: { gt: new Date() }, userId: others },
        select: { id: true },
      }),
    ]);
    return owner !== null || reservation !== null;
  }

  /** Throws {@link UniqueEmailViolation} when the email is taken (also under a race). */
  async create(input: { email: string; name: string; passwordHash: string }): Promise<User> {
    try {
      return await this.prisma.user.create({ data: input });
    } catch (error) {
      if (isUniqueViolation(error)) throw new UniqueEmailViolation();
      throw error;
    }
  }

  /**
   * Throws {@link UniqueEmailViolation} when changing `email` to a taken one, and
   * {@link NoActiveAdminLeft} as `options` say.
   */
  async update(id: string, changes: UserChanges, options: UserWriteOptions = {}): Promise<User> {
    const retire = options.retireTokens ?? [];
    try {
      if (retire.length === 0 && !options.keepAnActiveAdmin) {
        return await this.prisma.user.update({ where: { id }, data: changes });
      }
      return await this.prisma.$transaction(async (tx) => {
        const activeAdmins = options.keepAnActiveAdmin
          ? await tx.$queryRaw<Array<{ id: string }>>`
              SELECT id::text AS id FROM users WHERE role = 'ADMIN' AND status = 'ACTIVE' ORDER BY id FOR UPDATE`
          : [];
        const user = await tx.user.update({ where: { id }, data: changes });
        const wasTheLastOne = activeAdmins.length === 1 && activeAdmins[0].id === id;
        if (wasTheLastOne && !(user.role === 'ADMIN' && user.status === 'ACTIVE')) throw new NoActiveAdminLeft();
        if (retire.length > 0) {
          await tx.userToken.updateMany({
            where: { userId: id, purpose: { in: [...retire] }, usedAt: null },
            data: { usedAt: new Date() },
          });
        }
        return user;
      });
    } catch (error) {
      if (isUniqueViolation(error)) throw new UniqueEmailViolation();
      throw error;
    }
  }

  /** The admin list; a replica may answer it (a change of the last moments may not show yet). */
  list(filter: UserListFilter): Promise<User[]> {
    const where: Prisma.UserWhereInput = {
      ...(filter.emailPrefix ? { email: { startsWith: escapeLike(filter.emailPrefix) } } : {}),
      ...(filter.role ? { role: filter.role } : {}),
      ...(filter.status ? { status: filter.status } : { status: { not: 'DELETED' } }),
    };
    const keyset = USER_KEYSETS[filter.sort];
    return this.prisma.user.findMany({
      where: { AND: [where, keyset.after(filter.cursor, filter.order)] },
      orderBy: keyset.orderBy(filter.order),
      take: filter.take,
    });
  }
}
