import { ApiProperty } from '@nestjs/swagger';
import { ValidateBy, type ValidationArguments, type ValidationOptions } from 'class-validator';
import { isCommonPassword } from './common-passwords.js';

/**
 * Length limits in characters (Unicode code points, so an emoji or an accented letter counts
 * once). NIST SP 800-63B: at least 8, allow at least 64, no composition rules, check a
 * blocklist. The maximum only bounds the hashing work per request.
 */
export const PASSWORD_MIN_LENGTH = 8;
export const PASSWORD_MAX_LENGTH = 128;

/** The account a password is for: a password built from its email or name is rejected. */
export interface PasswordContext {
  email?: string | null;
  name?: string | null;
}

/** Personal values shorter than this are not looked for inside a password (too many false matches). */
const PERSONAL_MIN_LENGTH = 4;

/**
 * Everything wrong with a password, as messages for the user; empty when it is acceptable.
 * Checks, in order: the length (the other checks are skipped when it is wrong), the
 * common-password list and trivial patterns (`aaaaaaaa`, `12341234`, `abcdefgh`), then the
 * email's local part and the name (and their words) when they have at least 4 characters.
 */
export function passwordProblems(password: string, context: PasswordContext = {}): string[] {
  return problemsOf('password', password, context);
}

function problemsOf(subject: string, password: unknown, context: PasswordContext): string[] {
  if (typeof password !== 'string') return [`${subject} must be a string`];
  const length = codePointCount(password);
  if (length < PASSWORD_MIN_LENGTH) return [`${subject} must be at least ${PASSWORD_MIN_LENGTH} characters`];
  if (length > PASSWORD_MAX_LENGTH) return [`${subject} must be at most ${PASSWORD_MAX_LENGTH} characters`];

  const problems: string[] = [];
  if (isCommonPassword(password) || isTrivialPattern(password)) {
    problems.push(`${subject} is too common; choose a less predictable one`);
  }
  const lower = password.toLowerCase();
  if (emailTokens(context.email).some((token) => lower.includes(token))) {
    problems.push(`${subject} must not contain your email address`);
  }
  if (nameTokens(context.name).some((token) => lower.includes(token))) {
    problems.push(`${subject} must not contain your name`);
  }
  return problems;
}

function codePointCount(value: string): number {
  let count = 0;
  for (const _ of value) count++;
  return count;
}

/**
 * Patterns the list leaves out on purpose (its source, zxcvbn, catches them with pattern
 * matchers instead): one unit of up to 4 characters repeated, or a run of consecutive
 * characters in either direction.
 */
function isTrivialPattern(password: string): boolean {
  const chars = [...password.toLowerCase()];
  for (let unit = 1; unit <= 4 && unit * 2 <= chars.length; unit++) {
    if (chars.every((char, i) => char === chars[i % unit])) return true;
  }
  const codes = chars.map((char) => char.codePointAt(0) ?? 0);
  const step = codes[1] - codes[0];
  return Math.abs(step) === 1 && codes.every((code, i) => i === 0 || code - codes[i - 1] === step);
}

function words(value: string): string[] {
  return value.split(/[^\p{L}\p{N}]+/u);
}

function longEnough(tokens: string[]): string[] {
  return [...new Set(tokens)].filter((token) => codePointCount(token) >= PERSONAL_MIN_LENGTH);
}

/** `Ada.Lovelace+x@example.com` → `ada.lovelace+x`, `ada.lovelace`, `lovelace`. */
function emailTokens(email: string | null | undefined): string[] {
  if (!email) return [];
  const at = email.lastIndexOf('@');
  const local = (at === -1 ? email : email.slice(0, at)).trim().toLowerCase();
  return longEnough([local, local.split('+', 1)[0], ...words(local)]);
}

/** `Ada Lovelace` → `ada lovelace`, `adalovelace`, `lovelace`. */
function nameTokens(name: string | null | undefined): string[] {
  if (!name) return [];
  const normalized = name.trim().replace(/\s+/g, ' ').toLowerCase();
  return longEnough([normalized, normalized.replaceAll(' ', ''), ...words(normalized)]);
}

export interface AcceptablePasswordOptions extends ValidationOptions {
  /** Sibling property holding the account's email (e.g. `'email'` on a registration DTO). */
  emailProperty?: string;
  /** Sibling property holding the account's name. */
  nameProperty?: string;
}

/**
 * The password policy as a class-validator decorator: a string of 8 to 128 characters that is
 * not a common password, nor (with `emailProperty` / `nameProperty`) built from the email or
 * name given in the same DTO. The message names the first problem, e.g.
 * `password must be at least 8 characters`.
 */
export function IsAcceptablePassword(options: AcceptablePasswordOptions = {}): PropertyDecorator {
  const { emailProperty, nameProperty, ...validationOptions } = options;
  const problems = (args: ValidationArguments): string[] => {
    const dto = args.object as Record<string, unknown>;
    const sibling = (property: string | undefined) => {
      const value = property === undefined ? undefined : dto[property];
      return typeof value === 'string' ? value : undefined;
    };
    return problemsOf(args.property, args.value, { email: sibling(emailProperty), name: sibling(nameProperty) });
  };
  const validate = ValidateBy(
    {
      name: 'isAcceptablePassword',
      constraints: [emailProperty, nameProperty],
      validator: {
        validate: (_value: unknown, args?: ValidationArguments) => args !== undefined && problems(args).length === 0,
        defaultMessage: (args?: ValidationArguments) =>
          (args && problems(args)[0]) ?? `${args?.property ?? 'password'} is not an acceptable password`,
      },
    },
    validationOptions,
  );
  const document = ApiProperty({ format: 'password', minLength: PASSWORD_MIN_LENGTH, maxLength: PASSWORD_MAX_LENGTH });
  return (target, property) => {
    validate(target, property);
    document(target, property);
  };
}
