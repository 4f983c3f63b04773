import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { CURSOR_MAX_LENGTH, CURSOR_PATTERN } from './cursor.js';

export const DEFAULT_PAGE_LIMIT = 20;
export const MAX_PAGE_LIMIT = 100;

/** Query parameters shared by every cursor-paginated list route. */
export class CursorPageQueryDto {
  /** Opaque cursor from the previous page's `nextCursor`; omit for the first page. */
  @ApiPropertyOptional({ maxLength: CURSOR_MAX_LENGTH, pattern: CURSOR_PATTERN.source })
  @IsOptional()
  @IsString()
  @MaxLength(CURSOR_MAX_LENGTH)
  @Matches(CURSOR_PATTERN, { message: 'cursor is not a valid page cursor' })
  cursor?: string;

  /** Page size. */
  // Optional for callers (it defaults), which the plugin can't infer from an initialised field.
  @ApiPropertyOptional({
    type: 'integer',
    format: 'int32',
    default: DEFAULT_PAGE_LIMIT,
    minimum: 1,
    maximum: MAX_PAGE_LIMIT,
  })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(MAX_PAGE_LIMIT)
  limit: number = DEFAULT_PAGE_LIMIT;
}
