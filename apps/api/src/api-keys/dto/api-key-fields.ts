import { ONE_LINE_TEXT } from '@app/common';

export const API_KEY_NAME_MAX_LENGTH = 100;
export const API_KEY_NAME_PATTERN = ONE_LINE_TEXT;
