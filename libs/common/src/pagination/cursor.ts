/**
 * Bounds of a cursor string. The longest key is an email (254 characters, up to 4 UTF-8 bytes
 * each), so a cursor stays under ~1,420 characters; 2,048 leaves room for other sort keys.
 */
export const CURSOR_MAX_LENGTH = 2048;
/** base64url, unpadded. */
export const CURSOR_PATTERN = /^[A-Za-z0-9_-]+$/;
/** The one message a refused cursor gets, whatever is wrong with it (clients treat cursors as opaque). */
export const INVALID_CURSOR_MESSAGE = 'cursor is not a valid page cursor';

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}
