import { ONE_LINE_TEXT } from '@app/common';

/** RFC 5321's practical limit on an address (a path is at most 256 octets, minus the brackets). */
export const EMAIL_MAX_LENGTH = 254;
/** Display names: long enough for real names, short enough for any UI. */
export const NAME_MAX_LENGTH = 100;
/** Trimmed, on one line: a name ends up in email greetings and headers. */
export const NAME_PATTERN = ONE_LINE_TEXT;
