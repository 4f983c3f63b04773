import { ValidateBy, type ValidationOptions } from 'class-validator';

/**
 * Characters that show as nothing (or as an empty box), so two strings that look the same compare
 * different and an account could be registered under a look-alike of another's address:
 * - Unicode default-ignorable code points: zero-width space and joiners, soft hyphen, word joiner,
 *   byte order mark, bidirectional controls, variation selectors, the Hangul fillers (U+115F,
 *   U+1160, U+3164, U+FFA0)...;
 * - the format controls that are not default-ignorable (`\p{Cf}`: interlinear annotation marks,
 *   Arabic number signs...);
 * - blanks that are not default-ignorable and that NFKC does not turn into the ASCII space (the
 *   address check refuses that one): U+1680 OGHAM SPACE MARK, the line and paragraph separators
 *   U+2028 and U+2029, and U+2800 BRAILLE PATTERN BLANK, a "symbol" drawn empty;
 * - private-use and unassigned code points, which fonts draw as they like (nothing, a box).
 */
const INVISIBLE_CHARACTER = /[\p{Default_Ignorable_Code_Point}\p{Cf}\p{Co}\p{Cn}\p{Zl}\p{Zp}\u1680\u2800]/u;

/**
 * A combining mark (accent, dot, enclosing circle...) on a Latin, Greek or Cyrillic letter, or on a
 * digit, punctuation or symbol (the Common script, `@` and `.` included), or with nothing before
 * it. NFKC composes every such pair that has a precomposed character (`e` + U+0301 becomes `é`),
 * so a mark left there only imitates a letter: `ALİCE` lower-cases to `ali̇ce` (`i` + U+0307
 * COMBINING DOT ABOVE), which looks like `alice`. Scripts written with combining marks
 * (Devanagari, Thai, Arabic, Hebrew...) keep theirs. The price: the few Latin, Greek and Cyrillic
 * letters Unicode has no precomposed form for (Yoruba `ẹ́`, Cyrillic stress marks) are refused too.
 */
const LOOK_ALIKE_COMBINING_MARK = /(?:^|[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{Script=Common}])\p{M}/u;

/**
 * Top-level domains reserved so that they can never resolve (RFC 2606, RFC 6761): no mail is ever
 * delivered under them. Account deletion writes its placeholder address under `.invalid`.
 */
const RESERVED_TOP_LEVEL_DOMAINS = ['invalid'];

/** Leading and trailing Unicode white space (not U+FEFF, which is invisible, not blank). */
const OUTER_WHITE_SPACE = /^\p{White_Space}+|\p{White_Space}+$/gu;

export function hasInvisibleCharacters(value: string): boolean {
  return INVISIBLE_CHARACTER.test(value);
}

/** Whether a normalised address ({@link normalizeEmail}) has a combining mark that imitates a letter. */
export function hasLookAlikeCombiningMark(email: string): boolean {
  return LOOK_ALIKE_COMBINING_MARK.test(email);
}

/** Whether a normalised address ({@link normalizeEmail}) is under a reserved top-level domain (`.invalid`). */
export function hasReservedEmailDomain(email: string): boolean {
  const domain = email.slice(email.lastIndexOf('@') + 1).replace(/\.$/, '');
  return RESERVED_TOP_LEVEL_DOMAINS.some((tld) => domain === tld || domain.endsWith(`.${tld}`));
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

/** A validator of strings only: anything else is left to the field's type check. */
function stringRule(name: string, refused: (value: string) => boolean, message: string, options?: ValidationOptions) {
  return ValidateBy(
    {
      name,
      validator: {
        validate: (value: unknown) => typeof value !== 'string' || !refused(value),
        defaultMessage: () => message,
      },
    },
    options,
  );
}

/** Refuses a string containing an invisible character: `$property must not contain invisible characters`. */
export function NoInvisibleCharacters(options?: ValidationOptions): PropertyDecorator {
  return stringRule(
    'noInvisibleCharacters',
    hasInvisibleCharacters,
    '$property must not contain invisible characters',
    options,
  );
}

/** Refuses a normalised address with a combining mark that imitates a letter ({@link hasLookAlikeCombiningMark}). */
export function NoLookAlikeCombiningMarks(options?: ValidationOptions): PropertyDecorator {
  return stringRule(
    'noLookAlikeCombiningMarks',
    hasLookAlikeCombiningMark,
    '$property must not contain combining marks on Latin, Greek or Cyrillic letters, digits or symbols',
    options,
  );
}

/** Refuses a normalised address under a reserved top-level domain ({@link hasReservedEmailDomain}). */
export function NoReservedEmailDomain(options?: ValidationOptions): PropertyDecorator {
  return stringRule(
    'noReservedEmailDomain',
    hasReservedEmailDomain,
    '$property must not be under the reserved .invalid domain',
    options,
  );
}
