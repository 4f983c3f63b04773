import { Controller, Delete, Get, HttpCode, HttpStatus, Param } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiArrayResponse, ApiProblemResponses } from '@app/common';
import { sessionIdOf, type AuthUser, type ClientInfo } from '../iam/auth-user.js';
import { Auth } from '../iam/decorators/auth.decorator.js';
import { Client, CurrentUser } from '../iam/decorators/current-user.decorator.js';
import { SessionIdParamDto } from './dto/session-id-param.dto.js';
import { MAX_LISTED_SESSIONS, SessionResponseDto } from './dto/session-response.dto.js';
import { SessionRevocationReason, SessionsService } from './sessions.service.js';

@ApiTags('auth')
@Auth()
@Controller('auth/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  /**
   * The caller's active sessions (devices), most recently used first.
   *
   * @remarks At most 100 sessions, the most recently used first. `current` marks the session of the access token
   * making the request.
   */
  @Get()
  @ApiArrayResponse(SessionResponseDto, MAX_LISTED_SESSIONS, 'The active sessions, most recently used first.')
  list(@CurrentUser() user: AuthUser): Promise<SessionResponseDto[]> {
    return this.sessions.listActive(user.id, sessionIdOf(user));
  }

  /**
   * Signs one of the caller's devices out: its refresh token and access tokens stop working.
   *
   * @remarks Only the caller's own sessions can be revoked: another user's session id is answered 404, exactly
   * like an unknown id.
   */
  @Delete(':id')
  @HttpCode(HttpStatus.NO_CONTENT)
  @ApiProblemResponses(400, 404)
  async revoke(
    @CurrentUser() user: AuthUser,
    @Param() params: SessionIdParamDto,
    @Client() client: ClientInfo,
  ): Promise<void> {
    await this.sessions.revoke(user.id, params.id, SessionRevocationReason.RevokedByUser, client);
  }
}
