import { ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsUUID } from 'class-validator';
import { CursorPageQueryDto, IsTimestamp, TIMESTAMP_MAX_LENGTH, TIMESTAMP_PATTERN } from '@app/common';
import { SecurityEventType } from '../security-events.repository.js';

export const SECURITY_EVENT_TYPES = Object.values(SecurityEventType);

/** The admin read of the security event log: every filter is optional, and they combine. */
export class ListSecurityEventsQueryDto extends CursorPageQueryDto {
  /** Only the events about this account (their target). */
  @IsOptional()
  @IsUUID()
  userId?: string;

  /** Only the events this account caused (on itself, or as an administrator on others). */
  @IsOptional()
  @IsUUID()
  actorId?: string;

  /** Only the events of this type. */
  @ApiPropertyOptional({ enum: SECURITY_EVENT_TYPES, enumName: 'SecurityEventType' })
  @IsOptional()
  @IsIn(SECURITY_EVENT_TYPES)
  type?: SecurityEventType;

  /** Only the events recorded at or after this instant (RFC 3339, with its offset: `2026-01-02T03:04:05Z`). */
  @ApiPropertyOptional({ format: 'date-time', pattern: TIMESTAMP_PATTERN.source, maxLength: TIMESTAMP_MAX_LENGTH })
  @IsOptional()
  @IsTimestamp()
  from?: string;

  /** Only the events recorded before this instant (exclusive; later than `from`). */
  @ApiPropertyOptional({ format: 'date-time', pattern: TIMESTAMP_PATTERN.source, maxLength: TIMESTAMP_MAX_LENGTH })
  @IsOptional()
  @IsTimestamp()
  to?: string;
}
