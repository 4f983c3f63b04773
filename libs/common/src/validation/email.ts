import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * Unicode default-ignorable code points: characters that render as nothing (zero-width space and
 * joiners, soft hyphen, word joiner, byte order mark, bidirectional controls, variation
 * selectors, Hangul fillers...). In an address they make two strings that look the same compare
 * different, so an account could be registered under a look-alike of another's address.
 */
const INVISIBLE_CHARACTER = /\p{Default_Ignorable_Code_Point}/u;

/** Leading and trailing Unicode white space (not U+FEFF, which is invisible, not blank). */
const OUTER_WHITE_SPACE = /^\p{White_Space}+|\p{White_Space}+$/gu;

export function hasInvisibleCharacters(value: string): boolean {
  return INVISIBLE_CHARACTER.test(value);
}

/**
 * The one form an email address is stored, compared and looked up in: NFKC (so full-width and
 * other compatibility forms of a character become the character), trimmed of white space,
 * lower-cased (addresses are unique case-insensitively). Invisible characters are not removed
 * here: they are refused where an address enters ({@link NoInvisibleCharacters}).
 */
export function normalizeEmail(email: string): string {
  return email.normalize('NFKC').replace(OUTER_WHITE_SPACE, '').toLowerCase();
}

/** The value as {@link normalizeEmail} makes it, when it is a string (for `@Transform`). */
export function normalizeEmailInput({ value }: { value: unknown }): unknown {
  return typeof value === 'string' ? normalizeEmail(value) : value;
}

/** Refuses a string containing an invisible (default-ignorable) character: `$property must not contain invisible characters`. */
export function NoInvisibleCharacters(options?: ValidationOptions): PropertyDecorator {
  return ValidateBy(
    {
      name: 'noInvisibleCharacters',
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !hasInvisibleCharacters(value),
        defaultMessage: () => '$property must not contain invisible characters',
      },
    },
    options,
  );
}
