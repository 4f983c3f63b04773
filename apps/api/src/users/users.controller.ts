import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiPaginatedResponse, ApiProblemResponses, type Page } from '@app/common';
import type { AuthUser, ClientInfo } from '../iam/auth-user.js';
import { ApiKeyScope } from '../iam/decorators/api-key-scope.decorator.js';
import { Auth } from '../iam/decorators/auth.decorator.js';
import { Client, CurrentUser } from '../iam/decorators/current-user.decorator.js';
import { Permission } from '../iam/permissions.js';
import { AdminUpdateUserDto } from './dto/admin-update-user.dto.js';
import { DeleteMeDto } from './dto/delete-me.dto.js';
import { ListUsersQueryDto } from './dto/list-users-query.dto.js';
import { UpdateMeDto } from './dto/update-me.dto.js';
import { UserIdParamDto } from './dto/user-id-param.dto.js';
import { AdminUserResponseDto, UserResponseDto } from './dto/user-response.dto.js';
import { UsersService } from './users.service.js';

@ApiTags('users')
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  /**
   * The caller's account.
   *
   * @remarks Served from the cache (Redis when configured) and refreshed on every change to the account.
   */
  @Get('me')
  @Auth()
  @ApiKeyScope(Permission.ProfileRead)
  getMe(@CurrentUser() user: AuthUser): Promise<UserResponseDto> {
    return this.users.getMe(user.id);
  }

  /**
   * Changes the caller's name and/or email (a new email needs the current password, then a confirmation).
   *
   * @remarks Only `name` and `email` can be changed (any other field is 400). Changing the email requires
   * `currentPassword` in the same request (400 `VALIDATION_FAILED` on `currentPassword` when it is
   * missing or wrong; a sent `currentPassword` is always checked). A new email is stored as
   * `pendingEmail` and a confirmation link is sent to it; it replaces `email` when the link's token is
   * posted to `/v1/auth/email/verify`. The current address gets a notice with a link that cancels the
   * change (`/v1/auth/email/cancel-change`). Sending the current address cancels a pending change; so do
   * a password reset or change, signing out everywhere and an administrator disabling the account.
   * 409 when another account uses that email; 503 when either message can't be mailed (the change is
   * then dropped). Wrong current passwords count per account, together with those given to
   * `DELETE /v1/users/me` and `/v1/auth/password/change`: past `LOGIN_LOCKOUT_CLIENT_FAILURES` (10)
   * in `LOGIN_LOCKOUT_WINDOW` (15 min), 429 `REAUTHENTICATION_LOCKED_OUT` with `Retry-After`.
   */
  @Patch('me')
  @Auth()
  @ApiProblemResponses(400, 409, 503)
  updateMe(
    @CurrentUser() user: AuthUser,
    @Body() body: UpdateMeDto,
    @Client() client: ClientInfo,
  ): Promise<UserResponseDto> {
    return this.users.updateMe(user.id, body, client);
  }

  /**
   * Deletes the caller's account (password required): personal data is scrubbed, every session ends.
   *
   * @remarks Soft delete: the account row stays for referential integrity, with its email, name and password hash
   * replaced by placeholders (the email is freed for a new account), and every session and emailed token
   * is revoked. A wrong password is 400 `VALIDATION_FAILED` on `password`; too many of them (counted as on
   * `PATCH /v1/users/me`) are 429 `REAUTHENTICATION_LOCKED_OUT`. The last active administrator can't
   * delete their account (409 `LAST_ADMIN`).
   */
  @Delete('me')
  @Auth()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiProblemResponses(400, 409)
  deleteMe(@CurrentUser() user: AuthUser, @Body() body: DeleteMeDto, @Client() client: ClientInfo): Promise<void> {
    return this.users.deleteMe(user.id, body.password, client);
  }

  /**
   * Lists accounts (admin), with filters and cursor pagination.
   *
   * @remarks Requires `users:read`. Filters combine: `emailPrefix` (case-insensitive, taken literally), `role`, `status` (deleted
   * accounts only with `status=DELETED`). Sorted by `sort` then id; pass `nextCursor` as `cursor` for
   * the next page.
   */
  @Get()
  @Auth(Permission.UsersRead)
  @ApiKeyScope(Permission.UsersRead)
  @ApiPaginatedResponse(AdminUserResponseDto)
  @ApiProblemResponses(400)
  list(@Query() query: ListUsersQueryDto): Promise<Page<AdminUserResponseDto>> {
    return this.users.list(query);
  }

  /**
   * One account (admin).
   *
   * @remarks Requires `users:read`. Deleted accounts are returned too, with `deletedAt` set.
   */
  @Get(':id')
  @Auth(Permission.UsersRead)
  @ApiKeyScope(Permission.UsersRead)
  @ApiProblemResponses(400, 404)
  getById(@Param() params: UserIdParamDto): Promise<AdminUserResponseDto> {
    return this.users.getById(params.id);
  }

  /**
   * Changes an account's role or status (admin); either change signs the user out everywhere.
   *
   * @remarks Requires `users:write`. Only `role` and `status` (`ACTIVE` or `DISABLED`) can be set; disabling
   * revokes every session of the user at once and cancels a pending email change. An administrator can't
   * change their own account this way (403 `ADMIN_SELF_CHANGE_FORBIDDEN`); a deleted account is 404. A
   * change that would leave no active administrator is 409 `LAST_ADMIN` (checked under a lock, so two
   * administrators demoting each other at once can't both succeed).
   */
  @Patch(':id')
  @Auth(Permission.UsersWrite)
  @ApiProblemResponses(400, 404, 409)
  update(
    @CurrentUser() actor: AuthUser,
    @Param() params: UserIdParamDto,
    @Body() body: AdminUpdateUserDto,
    @Client() client: ClientInfo,
  ): Promise<AdminUserResponseDto> {
    return this.users.adminUpdate(actor, params.id, body, client);
  }

  /**
   * Deletes an account (admin): personal data is scrubbed, every session ends.
   *
   * @remarks Requires `users:write`. The same soft delete as `DELETE /v1/users/me`; an administrator can't delete
   * their own account this way (403 `ADMIN_SELF_CHANGE_FORBIDDEN`), nor the last active administrator
   * (409 `LAST_ADMIN`).
   */
  @Delete(':id')
  @Auth(Permission.UsersWrite)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiProblemResponses(400, 404, 409)
  remove(@CurrentUser() actor: AuthUser, @Param() params: UserIdParamDto, @Client() client: ClientInfo): Promise<void> {
    return this.users.adminDelete(actor, params.id, client);
  }
}
