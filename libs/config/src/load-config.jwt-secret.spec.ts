import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadConfig, PUBLISHED_JWT_SECRETS } from './load-config.js';
import { PRODUCTION, problemsOf } from './load-config.fixtures.js';
import { charactersInRuns, editDistance, estimatedEntropyBits, secretWeaknesses } from './secret-strength.js';

describe(`${loadConfig.name}: JWT_SECRET in production`, () => {
  const production = (secret: string) => problemsOf({ ...PRODUCTION, JWT_SECRET: secret });
  const accepted = (secret: string) => loadConfig({ ...PRODUCTION, JWT_SECRET: secret }).auth.jwtSecret;
  const refusal = (...weaknesses: string[]) =>
    `JWT_SECRET: too guessable for production: ${weaknesses.join(', ')}; generate one with ` +
    `node -e "console.log(require('crypto').randomBytes(48).toString('base64url'))"`;
  /** 16 distinct characters, each twice, in no repeating pattern nor run: exactly 128 estimated bits. */
  const atTheFloor = '0a1b2c3d4e5f6g7hh7g6f5e4d3c2b1a0';
  /** 32 distinct characters in no run: passes every rule, and shares nothing with the development default. */
  const handWritten = 'Q8vTz3LmK7pWx2Nr9BfJ6hYd4Gs1Ck5E';
  const closeToDefault = refusal(
    'close to the development default (12+ characters in a row of it, or at most a quarter of its length in ' +
      'edits from it, ignoring case and punctuation)',
  );

  it('accepts a secret at the floor: 16 distinct characters and 128 estimated bits', () => {
    expect(estimatedEntropyBits(atTheFloor)).toBe(128);
    expect(accepted(atTheFloor)).toBe(atTheFloor);
  });

  it('refuses 15 distinct characters, however long and spread', () => {
    // 15 characters, 4 times each, in an order that never repeats: 234 bits, still too few characters.
    const fifteen = 'Q8vTz3LmK7pWx2N';
    const secret = [0, 7, 3, 11].map((shift) => fifteen.slice(shift) + fifteen.slice(0, shift)).join('');

    expect(production(secret)).toEqual([refusal('15 distinct characters (at least 16)')]);
  });

  it('refuses 16 distinct characters whose frequencies make about 127 bits', () => {
    // As the floor, but one character three times and another once.
    const secret = `0${atTheFloor.slice(2)}0`;

    expect(new Set(secret).size).toBe(16);
    expect(Math.floor(estimatedEntropyBits(secret))).toBe(127);
    expect(production(secret)).toEqual([refusal('about 127 bits of estimated entropy (at least 128)')]);
  });

  it('refuses a shorter string repeated, even with enough characters and bits', () => {
    expect(production(`${atTheFloor.slice(0, 16)}${atTheFloor.slice(0, 16)}`)).toEqual([
      refusal('a shorter string repeated'),
    ]);
  });

  it.each([
    ['the development default with one character changed', 'dev-only-jwt-secret-do-not-use-in-production-0001'],
    ['the development default in other case and punctuation', 'DEV_ONLY_JWT_SECRET_DO_NOT_USE_IN_PRODUCTION_0000'],
    ['the development default inside a longer secret', `${handWritten}-do-not-use-in-production`],
  ])('refuses %s', (_label, secret) => {
    expect(production(secret)).toEqual([closeToDefault]);
  });

  it('refuses 12 characters in a row of the development default, not 11', () => {
    expect(production(`${handWritten}devonlyjwtse`)).toEqual([closeToDefault]);
    expect(accepted(`${handWritten}devonlyjwts`)).toBe(`${handWritten}devonlyjwts`);
  });

  it('refuses a secret 10 edits from the 40 letters and digits of the development default, not 11', () => {
    // A substitution every 4 characters: no 12 characters in a row are left, only the distance tells.
    const folded = 'devonlyjwtsecretdonotuseinproduction0000';
    const positions = [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 38];
    const substituted = (count: number) => {
      const chars = [...folded];
      positions.slice(0, count).forEach((position, i) => (chars[position] = 'QZ8K2M7B5H9'[i] ?? ''));
      return chars.join('');
    };

    expect(editDistance(substituted(10), folded)).toBe(10);
    expect(production(substituted(10))).toEqual([closeToDefault]);
    expect(editDistance(substituted(11), folded)).toBe(11);
    expect(accepted(substituted(11))).toBe(substituted(11));
  });

  it.each([
    ['the alphabet and the digits', 'abcdefghijklmnopqrstuvwxyz0123456789', '36 of 36'],
    ['hex digits twice and a tail', '0123456789abcdef0123456789abcdefXYZ', '32 of 35'],
    ['descending runs', 'zyxwvutsrqponmlkjihgfedcba9876543210', '36 of 36'],
  ])('refuses %s: runs of consecutive characters', (_label, secret, share) => {
    expect(production(secret)).toEqual([
      refusal(`${share} characters in runs such as abcd or 4321 (at most a quarter)`),
    ]);
  });

  it('accepts a quarter of the secret in runs of 4 or more, refuses one character more', () => {
    const quarter = `${handWritten.slice(0, 24)}abcd9876`;
    const more = `${handWritten.slice(0, 23)}abcde9876`;

    expect(charactersInRuns(quarter)).toBe(8);
    expect(accepted(quarter)).toBe(quarter);
    expect(charactersInRuns(more)).toBe(9);
    expect(production(more)).toEqual([refusal('9 of 32 characters in runs such as abcd or 4321 (at most a quarter)')]);
    // Runs of 3 do not count.
    expect(charactersInRuns('abc9xyz1ABC5')).toBe(0);
  });

  it('accepts every one of 2,000 random 48-byte base64url secrets (what the docs say to generate)', () => {
    const refused = Array.from({ length: 2_000 }, () => randomBytes(48).toString('base64url')).filter(
      (secret) => secretWeaknesses(secret, PUBLISHED_JWT_SECRETS).length > 0,
    );

    expect(refused).toEqual([]);
  });

  it('publishes no literal JWT_SECRET in the docs or compose files that production would accept', () => {
    const published = ['README.md', '.env.example', 'docker-compose.yml', 'Dockerfile', 'CONTRIBUTING.md'].flatMap(
      (file) =>
        [...readFileSync(file, 'utf8').matchAll(/JWT_SECRET\s*[=:]\s*["']?([^\s"'`]*)/g)].map(
          (match) => match[1] ?? '',
        ),
    );
    // Commands and variable references ($(...), ${...}) and ellipses are no values.
    const literals = published.filter((value) => value !== '' && !/^(\$|\.\.\.)/.test(value));

    expect(
      literals.filter((value) => value.length >= 32 && secretWeaknesses(value, PUBLISHED_JWT_SECRETS).length === 0),
    ).toEqual([]);
  });

  it('refuses repeated characters with every reason at once', () => {
    expect(production('a'.repeat(48))).toEqual([
      refusal(
        '1 distinct characters (at least 16)',
        'about 0 bits of estimated entropy (at least 128)',
        'a shorter string repeated',
      ),
    ]);
  });
});
