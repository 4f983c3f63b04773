import { applyDecorators, type Type } from '@nestjs/common';
import { ApiExtraModels, ApiOkResponse, getSchemaPath } from '@nestjs/swagger';
import { MAX_PAGE_LIMIT } from '../pagination/cursor-page.dto.js';
import { CURSOR_MAX_LENGTH, CURSOR_PATTERN } from '../pagination/cursor.js';

/** Documents a 200 answer that is a JSON array of at most `maxItems` `item` DTOs. */
export function ApiArrayResponse(item: Type<unknown>, maxItems: number, description: string): MethodDecorator {
  return applyDecorators(
    ApiExtraModels(item),
    ApiOkResponse({ description, schema: { type: 'array', maxItems, items: { $ref: getSchemaPath(item) } } }),
  );
}

/** Documents a `{ items: T[], nextCursor }` page of `item` DTOs. */
export function ApiPaginatedResponse(item: Type<unknown>, description?: string): MethodDecorator {
  return applyDecorators(
    ApiExtraModels(item),
    ApiOkResponse({
      description: description ?? `A page of ${item.name.replace(/Dto$/, '')} items.`,
      schema: {
        type: 'object',
        required: ['items', 'nextCursor'],
        properties: {
          items: { type: 'array', maxItems: MAX_PAGE_LIMIT, items: { $ref: getSchemaPath(item) } },
          nextCursor: {
            type: 'string',
            nullable: true,
            maxLength: CURSOR_MAX_LENGTH,
            pattern: CURSOR_PATTERN.source,
            description: 'Cursor of the next page; null on the last page.',
          },
        },
      },
    }),
  );
}
