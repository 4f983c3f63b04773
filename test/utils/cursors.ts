/** A cursor holding exactly `value`, as the API writes them: base64url of JSON. */
export function cursorOf(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

const AT = '2026-01-02T03:04:05.678Z';
const ID = '01937a5e-8b1c-7d2e-9f30-4a5b6c7d8e9f';

/** The answer to any cursor the list did not write. */
export const INVALID_CURSOR_PROBLEM = {
  type: 'urn:problem-type:validation-failed',
  title: 'Bad Request',
  status: 400,
  detail: 'The request is invalid.',
  code: 'VALIDATION_FAILED',
  errors: [{ field: 'cursor', message: 'cursor is not a valid page cursor' }],
};

/**
 * Well-formed cursors (base64url of JSON) that no list writes: keys of the wrong type, shape or
 * count, for lists paged by creation time or by email. Each once reached PostgreSQL (`Invalid
 * Date`, `invalid input syntax for type uuid`, `date/time field value out of range`) and answered
 * 500; each must be a 400 on `cursor`.
 */
export const CRAFTED_CURSORS: Array<[label: string, cursor: string]> = [
  ['the old tuple with a date that is not one', cursorOf(['not-a-date', ID])],
  ['the old tuple with an id that is not a uuid', cursorOf([AT, 'not-a-uuid'])],
  ['the old tuple with a NUL character', cursorOf(['a\u0000@example.com', ID])],
  ['a date that is not one', cursorOf({ createdAt: 'not-a-date', id: ID })],
  ['an impossible date', cursorOf({ createdAt: '2026-02-30T00:00:00.000Z', id: ID })],
  ['a date in year 0, which PostgreSQL does not have', cursorOf({ createdAt: '0000-01-01T00:00:00.000Z', id: ID })],
  ['a date as a number', cursorOf({ createdAt: 1_767_323_045_678, id: ID })],
  ['an id that is not a uuid', cursorOf({ createdAt: AT, id: 'not-a-uuid' })],
  ['an id as a number', cursorOf({ createdAt: AT, id: 7 })],
  ['an id as a Prisma filter', cursorOf({ createdAt: AT, id: { not: null } })],
  ['a missing id', cursorOf({ createdAt: AT })],
  ['an extra key', cursorOf({ createdAt: AT, id: ID, ownerId: ID })],
  ['an email as a number', cursorOf({ email: 5, id: ID })],
  ['an email with a NUL character', cursorOf({ email: 'a\u0000@example.com', id: ID })],
  ['an email with a lone surrogate', cursorOf({ email: '\ud800@example.com', id: ID })],
  ['null', cursorOf(null)],
  ['a number', cursorOf(2 ** 64)],
  ['a __proto__ key', cursorOf(JSON.parse(`{"__proto__":{"id":"${ID}"},"createdAt":"${AT}"}`))],
];
