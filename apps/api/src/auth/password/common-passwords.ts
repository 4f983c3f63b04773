import { readFileSync } from 'node:fs';

let passwords: ReadonlySet<string> | undefined;

/**
 * The common-password list (one lower-cased password per line, most common first; see
 * COMMON-PASSWORDS.md), read on first use and kept for the life of the process. `nest build`
 * copies the .txt next to the compiled file (the `assets` entry in nest-cli.json).
 */
export function commonPasswords(): ReadonlySet<string> {
  passwords ??= new Set(
    readFileSync(new URL('./common-passwords.txt', import.meta.url), 'utf8')
      .split('\n')
      .map((line) => line.replace(/\r$/, ''))
      .filter((line) => line.length > 0),
  );
  return passwords;
}

/** Whether the password is on the common-password list, ignoring case. */
export function isCommonPassword(password: string): boolean {
  return commonPasswords().has(password.toLowerCase());
}
