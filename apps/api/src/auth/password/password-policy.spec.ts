import { describe, expect, it } from 'vitest';
import { validate } from 'class-validator';
import { commonPasswords, isCommonPassword } from './common-passwords.js';
import { IsAcceptablePassword, PASSWORD_MAX_LENGTH, PASSWORD_MIN_LENGTH, passwordProblems } from './password-policy.js';

const TOO_SHORT = 'password must be at least 8 characters';
const TOO_LONG = 'password must be at most 128 characters';
const TOO_COMMON = 'password is too common; choose a less predictable one';

/** Not on the list, no pattern: only its length matters. */
function passwordOfLength(length: number): string {
  const alphabet = 'q7Zm!pR2xV9k';
  return Array.from({ length }, (_, i) => alphabet[(i * 5) % alphabet.length]).join('');
}

describe('common password list', () => {
  it('holds at least 10,000 distinct lower-case entries', () => {
    const sut = commonPasswords();

    expect(sut.size).toBeGreaterThanOrEqual(10_000);
    expect([...sut].every((password) => password === password.toLowerCase() && password.length > 0)).toBe(true);
  });

  it('is read once', () => {
    expect(commonPasswords()).toBe(commonPasswords());
  });

  it('matches regardless of case', () => {
    expect(isCommonPassword('password1')).toBe(true);
    expect(isCommonPassword('PassWord1')).toBe(true);
    expect(isCommonPassword('q7Zm!pR2xV9k')).toBe(false);
  });
});

describe(passwordProblems.name, () => {
  const sut = passwordProblems;

  it.each(['password', 'Password1', 'password1', '12345678', 'qwertyuiop', 'iloveyou', 'P@ssw0rd', 'trustno1'])(
    'rejects the common password %p',
    (password) => {
      expect(sut(password)).toEqual([TOO_COMMON]);
    },
  );

  it.each(['aaaaaaaa', '00000000', '12121212', '12341234', 'abcabcabc', 'abcdefgh', '87654321', 'ZYXWVUTS'])(
    'rejects the trivial pattern %p, which the list leaves to pattern matching',
    (password) => {
      expect(sut(password)).toEqual([TOO_COMMON]);
    },
  );

  it('accepts a long random passphrase', () => {
    expect(sut('correct-Horse-battery-staple-9-violet-Ocean')).toEqual([]);
    expect(sut('tR7#kq2!Lz9@vW')).toEqual([]);
  });

  it('rejects 7 characters and accepts 8', () => {
    expect(sut(passwordOfLength(PASSWORD_MIN_LENGTH - 1))).toEqual([TOO_SHORT]);
    expect(sut(passwordOfLength(PASSWORD_MIN_LENGTH))).toEqual([]);
  });

  it('accepts 128 characters and rejects 129', () => {
    expect(sut(passwordOfLength(PASSWORD_MAX_LENGTH))).toEqual([]);
    expect(sut(passwordOfLength(PASSWORD_MAX_LENGTH + 1))).toEqual([TOO_LONG]);
  });

  it('reports only the length when it is wrong, even for a listed password', () => {
    expect(sut('123456')).toEqual([TOO_SHORT]);
  });

  it('counts an emoji or an astral character as one character, not two UTF-16 units', () => {
    const fourEmoji = '🔒🔑🐉🌋';
    expect(fourEmoji).toHaveLength(8);

    expect(sut(`${fourEmoji}abc`)).toEqual([TOO_SHORT]);
    expect(sut(`${fourEmoji}abcd`)).toEqual([]);
    expect(sut('🐉'.repeat(PASSWORD_MAX_LENGTH / 2) + passwordOfLength(PASSWORD_MAX_LENGTH / 2))).toEqual([]);
    expect(sut('🐉'.repeat(PASSWORD_MAX_LENGTH + 1))).toEqual([TOO_LONG]);
  });

  it('rejects a password containing the local part of the email, in any case', () => {
    const context = { email: 'ada.lovelace+work@example.com' };

    expect(sut('Ada.Lovelace+work', context)).toContain('password must not contain your email address');
    expect(sut('xx-LOVELACE-1815!', context)).toEqual(['password must not contain your email address']);
    expect(sut('tR7#kq2!Lz9@vW', context)).toEqual([]);
  });

  it('rejects a password equal to or containing the name, or one of its words', () => {
    const context = { name: 'Grace  Hopper' };

    expect(sut('gracehopper', context)).toEqual(['password must not contain your name']);
    expect(sut('Grace Hopper 1906', context)).toEqual(['password must not contain your name']);
    expect(sut('cobol-HOPPER-77', context)).toEqual(['password must not contain your name']);
    expect(sut('tR7#kq2!Lz9@vW', context)).toEqual([]);
  });

  it('ignores an email local part or name words shorter than 4 characters', () => {
    expect(sut('bob-and-joe-2-kz9q', { email: 'bob@example.com', name: 'Joe' })).toEqual([]);
  });

  it('lists every problem at once', () => {
    expect(sut('Password1', { email: 'password1@example.com', name: 'Password1' })).toEqual([
      TOO_COMMON,
      'password must not contain your email address',
      'password must not contain your name',
    ]);
  });
});

class RegisterDto {
  email!: string;
  name!: string;

  @IsAcceptablePassword({ emailProperty: 'email', nameProperty: 'name' })
  password!: unknown;
}

class ChangePasswordDto {
  @IsAcceptablePassword()
  newPassword!: unknown;
}

function makeRegisterDto(overrides: Partial<RegisterDto> = {}): RegisterDto {
  const defaults = { email: 'ada@example.com', name: 'Ada Lovelace', password: 'tR7#kq2!Lz9@vW' };
  return Object.assign(new RegisterDto(), defaults, overrides);
}

async function messagesOf(dto: object): Promise<string[]> {
  const errors = await validate(dto);
  return errors.flatMap((error) => Object.values(error.constraints ?? {}));
}

describe(IsAcceptablePassword.name, () => {
  it('accepts an acceptable password', async () => {
    await expect(messagesOf(makeRegisterDto())).resolves.toEqual([]);
  });

  it.each([
    [undefined, 'password must be a string'],
    [12345678, 'password must be a string'],
    ['short', TOO_SHORT],
    [passwordOfLength(129), TOO_LONG],
    ['qwertyuiop', TOO_COMMON],
    ['lovelace-rules-77', 'password must not contain your name'],
  ])('rejects %p with %p', async (password, message) => {
    await expect(messagesOf(makeRegisterDto({ password }))).resolves.toEqual([message]);
  });

  it('checks the sibling email property', async () => {
    const dto = makeRegisterDto({ email: 'stardust@example.com', password: 'Stardust-4-ever' });

    await expect(messagesOf(dto)).resolves.toEqual(['password must not contain your email address']);
  });

  it('names the decorated property in its messages', async () => {
    const dto = Object.assign(new ChangePasswordDto(), { newPassword: 'abc' });

    await expect(messagesOf(dto)).resolves.toEqual(['newPassword must be at least 8 characters']);
  });
});
