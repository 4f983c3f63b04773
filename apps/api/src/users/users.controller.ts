import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, Patch, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiPaginatedResponse, ApiProblemResponses, type Page } from '@app/common';
import type { AuthUser, ClientInfo } from '../auth/auth-user.js';
import { Auth } from '../auth/decorators/auth.decorator.js';
import { Client, CurrentUser } from '../auth/decorators/current-user.decorator.js';
import { Permission } from '../auth/permissions.js';
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

  /** The caller's account. */
  @Get('me')
  @Auth()
  getMe(@CurrentUser() user: AuthUser): Promise<UserResponseDto> {
    return this.users.getMe(user.id);
  }

  /** Changes the caller's name and/or email. A new email is applied once confirmed from its inbox. */
  @Patch('me')
  @Auth()
  @ApiProblemResponses(400, 409, 503)
  updateMe(@CurrentUser() user: AuthUser, @Body() body: UpdateMeDto): Promise<UserResponseDto> {
    return this.users.updateMe(user.id, body);
  }

  /** Deletes the caller's account (password required): personal data is scrubbed, every session ends. */
  @Delete('me')
  @Auth()
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiProblemResponses(400)
  deleteMe(@CurrentUser() user: AuthUser, @Body() body: DeleteMeDto, @Client() client: ClientInfo): Promise<void> {
    return this.users.deleteMe(user.id, body.password, client);
  }

  /** Lists accounts (admin), with filters and cursor pagination. */
  @Get()
  @Auth(Permission.UsersRead)
  @ApiPaginatedResponse(AdminUserResponseDto)
  @ApiProblemResponses(400)
  list(@Query() query: ListUsersQueryDto): Promise<Page<AdminUserResponseDto>> {
    return this.users.list(query);
  }

  /** One account (admin). */
  @Get(':id')
  @Auth(Permission.UsersRead)
  @ApiProblemResponses(400, 404)
  getById(@Param() params: UserIdParamDto): Promise<AdminUserResponseDto> {
    return this.users.getById(params.id);
  }

  /** Changes an account's role or status (admin); either change signs the user out everywhere. */
  @Patch(':id')
  @Auth(Permission.UsersWrite)
  @ApiProblemResponses(400, 404)
  update(
    @CurrentUser() actor: AuthUser,
    @Param() params: UserIdParamDto,
    @Body() body: AdminUpdateUserDto,
    @Client() client: ClientInfo,
  ): Promise<AdminUserResponseDto> {
    return this.users.adminUpdate(actor, params.id, body, client);
  }

  /** Deletes an account (admin): personal data is scrubbed, every session ends. */
  @Delete(':id')
  @Auth(Permission.UsersWrite)
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiProblemResponses(400, 404)
  remove(@CurrentUser() actor: AuthUser, @Param() params: UserIdParamDto, @Client() client: ClientInfo): Promise<void> {
    return this.users.adminDelete(actor, params.id, client);
  }
}
