import { Controller, Get, Query } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { ApiPaginatedResponse, ApiProblemResponses, CursorPageQueryDto, type Page } from '@app/common';
import type { AuthUser } from '../iam/auth-user.js';
import { ApiKeyScope } from '../iam/decorators/api-key-scope.decorator.js';
import { Auth } from '../iam/decorators/auth.decorator.js';
import { CurrentUser } from '../iam/decorators/current-user.decorator.js';
import { Permission } from '../iam/permissions.js';
import { AuditService } from './audit.service.js';
import { ListSecurityEventsQueryDto } from './dto/list-security-events-query.dto.js';
import { AdminSecurityEventResponseDto, SecurityEventResponseDto } from './dto/security-event-response.dto.js';

@ApiTags('audit')
@Controller()
export class SecurityEventsController {
  constructor(private readonly audit: AuditService) {}

  /**
   * The caller's security events (sign-ins and their failures, session revocations, password, email,
   * role and status changes), newest first, with cursor pagination.
   *
   * @remarks Only the events about the caller's own account, whoever caused them: `actor.kind` says
   * whether it was the caller (`SELF`), an administrator (`ADMIN`, with their account id) or nobody
   * signed in (`ANONYMOUS`: a failed sign-in with the caller's email, a forgot-password request). Each
   * carries the client's IP address and User-Agent, and `details` as far as they name no address,
   * token or password. Pass `nextCursor` as `cursor` for the next page.
   */
  @Get('users/me/security-events')
  @Auth()
  @ApiKeyScope(Permission.ProfileRead)
  @ApiPaginatedResponse(SecurityEventResponseDto)
  @ApiProblemResponses(400)
  listMine(@CurrentUser() user: AuthUser, @Query() query: CursorPageQueryDto): Promise<Page<SecurityEventResponseDto>> {
    return this.audit.listOwn(user.id, query);
  }

  /**
   * The whole security event log (admin), with filters and cursor pagination.
   *
   * @remarks Requires `audit:read`. Filters combine: `userId` (the account an event is about),
   * `actorId` (the account that caused it), `type`, and the time range `from` (inclusive) to `to`
   * (exclusive), RFC 3339 date-times with their offset; `to` must be later than `from` (400
   * `VALIDATION_FAILED` on `to`). Newest first; pass `nextCursor` as `cursor` for the next page.
   */
  @Get('security-events')
  @Auth(Permission.AuditRead)
  @ApiKeyScope(Permission.AuditRead)
  @ApiPaginatedResponse(AdminSecurityEventResponseDto)
  @ApiProblemResponses(400)
  list(@Query() query: ListSecurityEventsQueryDto): Promise<Page<AdminSecurityEventResponseDto>> {
    return this.audit.list(query);
  }
}
