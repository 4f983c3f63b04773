import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  IsInt,
  IsOptional,
  IsString,
  Matches,
  Max,
  MaxLength,
  Min,
  Validate,
  ValidatorConstraint,
  type ValidationArguments,
  type ValidatorConstraintInterface,
} from 'class-validator';
import { CURSOR_MAX_LENGTH, CURSOR_PATTERN, INVALID_CURSOR_MESSAGE } from './cursor.js';
import { BY_CREATION, type KeyColumns, type Keyset } from './keyset.js';

const DEFAULT_PAGE_LIMIT = 20;
export const MAX_PAGE_LIMIT = 100;

/** Checks a cursor against the keyset its query DTO pages by, in the validation pipe with the other fields. */
@ValidatorConstraint({ name: 'isPageCursor' })
class PageCursorConstraint implements ValidatorConstraintInterface {
  validate(value: unknown, args: ValidationArguments): boolean {
    // Not a string, too long, not base64url: @IsString, @MaxLength and @Matches say so already.
    if (typeof value !== 'string' || value.length > CURSOR_MAX_LENGTH || !CURSOR_PATTERN.test(value)) return true;
    const query = args.object as CursorPageQueryDto;
    // Read from the class, never from the instance, which holds what the client sent.
    const keyset = (query.constructor as typeof CursorPageQueryDto).keysetOf(query);
    // No keyset: another field (say an unknown `sort`) is invalid and reported on its own.
    return keyset === undefined || keyset.parse(value) !== undefined;
  }

  defaultMessage(): string {
    return INVALID_CURSOR_MESSAGE;
  }
}

/**
 * Query parameters shared by every cursor-paginated list route. The cursor is checked against
 * the list's {@link Keyset} here, in the validation pipe: {@link BY_CREATION} unless a subclass
 * that pages in another order overrides {@link CursorPageQueryDto.keysetOf}.
 */
export class CursorPageQueryDto {
  /** The keyset this query's list pages by; undefined when the query's other fields name none. */
  static keysetOf(_query: CursorPageQueryDto): Keyset<KeyColumns> | undefined {
    return BY_CREATION;
  }

  /** Opaque cursor from the previous page's `nextCursor`; omit for the first page. */
  @ApiPropertyOptional({ maxLength: CURSOR_MAX_LENGTH, pattern: CURSOR_PATTERN.source })
  @IsOptional()
  @IsString()
  @MaxLength(CURSOR_MAX_LENGTH)
  @Matches(CURSOR_PATTERN, { message: INVALID_CURSOR_MESSAGE })
  @Validate(PageCursorConstraint)
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
