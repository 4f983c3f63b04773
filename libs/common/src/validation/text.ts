/**
 * Shapes of human-written text, for `@Matches` in request DTOs and `pattern` in OpenAPI (both
 * from the same constant, so the spec states what is enforced).
 */

/** Trimmed and on one line (names, titles): they end up in email subjects, greetings, headers. */
export const ONE_LINE_TEXT = /^\S(.*\S)?$/;

/** Free text: anything but control characters (tab and line breaks allowed). */
// eslint-disable-next-line no-control-regex
export const FREE_TEXT = /^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F]*$/;
