import { Injectable } from '@nestjs/common';
import {
  BY_CREATION,
  parseTimestamp,
  toPage,
  ValidationFailedError,
  type CursorPageQueryDto,
  type Page,
} from '@app/common';
import type { ListSecurityEventsQueryDto } from './dto/list-security-events-query.dto.js';
import type { AdminSecurityEventResponseDto, SecurityEventResponseDto } from './dto/security-event-response.dto.js';
import { SecurityEventsRepository } from './security-events.repository.js';
import { toAdminSecurityEventResponse, toSecurityEventResponse } from './security-events.responses.js';

/** Reads of the security event log: an account's own events, and the whole log for administrators. */
@Injectable()
export class AuditService {
  constructor(private readonly events: SecurityEventsRepository) {}

  /** The events about `userId` (whoever caused them), newest first. */
  async listOwn(userId: string, query: CursorPageQueryDto): Promise<Page<SecurityEventResponseDto>> {
    const rows = await this.events.listForUser(userId, { cursor: query.cursor, take: query.limit + 1 });
    const page = toPage(rows, query.limit, BY_CREATION);
    return { items: page.items.map(toSecurityEventResponse), nextCursor: page.nextCursor };
  }

  /** Every event matching the filters, newest first. `to` must be later than `from`. */
  async list(query: ListSecurityEventsQueryDto): Promise<Page<AdminSecurityEventResponseDto>> {
    const from = query.from === undefined ? undefined : parseTimestamp(query.from);
    const to = query.to === undefined ? undefined : parseTimestamp(query.to);
    if (from && to && to <= from) {
      throw new ValidationFailedError([{ field: 'to', message: 'to must be later than from' }]);
    }
    const rows = await this.events.list(
      { userId: query.userId, actorId: query.actorId, type: query.type, from, to },
      { cursor: query.cursor, take: query.limit + 1 },
    );
    const page = toPage(rows, query.limit, BY_CREATION);
    return { items: page.items.map(toAdminSecurityEventResponse), nextCursor: page.nextCursor };
  }
}
