import { ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsOptional, IsString, Matches, MaxLength } from 'class-validator';
import { BY_CREATION, CursorPageQueryDto, Keyset, NoInvisibleCharacters, normalizeEmailInput } from '@app/common';
import { Role, UserStatus } from '@app/database';
import { EMAIL_MAX_LENGTH } from './user-fields.js';

export const USER_SORT_FIELDS = ['createdAt', 'email'] as const;
export type UserSortField = (typeof USER_SORT_FIELDS)[number];

/** The order each sort key pages in (ties broken by id), and so what a cursor of it holds. */
export const USER_KEYSETS = {
  createdAt: BY_CREATION,
  email: new Keyset({ email: 'string', id: 'uuid' }),
};

export class ListUsersQueryDto extends CursorPageQueryDto {
  /** A cursor is a position in the order `sort` names; none for an unknown `sort` (refused on its own). */
  static override keysetOf(query: ListUsersQueryDto) {
    return Object.hasOwn(USER_KEYSETS, query.sort) ? USER_KEYSETS[query.sort] : undefined;
  }

  /**
   * Only users whose email starts with this, literally (`%`, `_` and the backslash are no wildcards),
   * normalised as emails are (NFKC, case-insensitive); invisible characters are refused.
   */
  @ApiPropertyOptional({ maxLength: EMAIL_MAX_LENGTH, pattern: '^\\S+$' })
  @IsOptional()
  @Transform(normalizeEmailInput)
  @IsString()
  @NoInvisibleCharacters()
  @MaxLength(EMAIL_MAX_LENGTH)
  @Matches(/^\S+$/, { message: 'emailPrefix must not contain spaces' })
  emailPrefix?: string;

  @ApiPropertyOptional({ enum: Role, enumName: 'Role' })
  @IsOptional()
  @IsIn(Object.values(Role))
  role?: Role;

  /** Deleted users are listed only when asked for with `status=DELETED`. */
  @ApiPropertyOptional({ enum: UserStatus, enumName: 'UserStatus' })
  @IsOptional()
  @IsIn(Object.values(UserStatus))
  status?: UserStatus;

  /** Sort key; ties are broken by id. */
  @ApiPropertyOptional({ enum: USER_SORT_FIELDS, default: 'createdAt' })
  @IsOptional()
  @IsIn(USER_SORT_FIELDS)
  sort: UserSortField = 'createdAt';

  @ApiPropertyOptional({ enum: ['asc', 'desc'], default: 'desc' })
  @IsOptional()
  @IsIn(['asc', 'desc'])
  order: 'asc' | 'desc' = 'desc';
}
