import { Controller, Delete, Get, HttpCode, HttpStatus, Param } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiProblemResponses } from '@app/common';
import type { AuthUser, ClientInfo } from '../auth/auth-user.js';
import { Auth } from '../auth/decorators/auth.decorator.js';
import { Client, CurrentUser } from '../auth/decorators/current-user.decorator.js';
import { SessionIdParamDto } from './dto/session-id-param.dto.js';
import { SessionResponseDto } from './dto/session-response.dto.js';
import { SessionRevocationReason, SessionsService } from './sessions.service.js';

@ApiTags('auth')
@Auth()
@Controller('auth/sessions')
export class SessionsController {
  constructor(private readonly sessions: SessionsService) {}

  /** The caller's active sessions (devices), most recently used first. */
  @Get()
  async list(@CurrentUser() user: AuthUser): Promise<SessionResponseDto[]> {
    const sessions = await this.sessions.listActive(user.id);
    return sessions.map((session) => ({
      id: session.id,
      device: session.userAgent,
      ip: session.ip,
      createdAt: session.createdAt,
      lastUsedAt: session.lastUsedAt,
      current: session.id === user.sessionId,
    }));
  }

  /** Signs one of the caller's devices out: its refresh token and access tokens stop working. */
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
