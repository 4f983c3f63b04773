import { Injectable } from '@nestjs/common';
import { Prisma, PrismaService, type Role, type User, type UserStatus } from '@app/database';
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

@Injectable()
export class UsersRepository {
  constructor(private readonly prisma: PrismaService) {}

  findById(id: string): Promise<User | null> {
    return this.prisma.user.findUnique({ where: { id } });
  }

  findByEmail(email: string): Promise<User | null> {
    return this.prisma.user.findUnique({ where: { email } });
  }

  async emailInUse(email: string, exceptUserId?: string): Promise<boolean> {
    const found = await this.prisma.user.findFirst({
      where: { email, ...(exceptUserId ? { id: { not: exceptUserId } } : {}) },
      select: { id: true },
    });
    return found !== null;
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

  /** Throws {@link UniqueEmailViolation} when changing `email` to a taken one. */
  async update(id: string, changes: UserChanges): Promise<User> {
    try {
      return await this.prisma.user.update({ where: { id }, data: changes });
    } catch (error) {
      if (isUniqueViolation(error)) throw new UniqueEmailViolation();
      throw error;
    }
  }

  list(filter: UserListFilter): Promise<User[]> {
    const where: Prisma.UserWhereInput = {
      ...(filter.emailPrefix ? { email: { startsWith: filter.emailPrefix.trim().toLowerCase() } } : {}),
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
