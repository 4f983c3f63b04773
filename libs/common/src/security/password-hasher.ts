import { hash, verify } from '@node-rs/argon2';

/**
 * argon2id at the OWASP Password Storage Cheat Sheet minimum (m = 19 MiB, t = 2, p = 1).
 * Hashes carry their parameters, so raising these later still verifies old hashes.
 */
const ARGON2_OPTIONS = {
  // Algorithm.Argon2id; the package exports it as a const enum, unusable under isolatedModules.
  algorithm: 2,
  memoryCost: 19_456,
  timeCost: 2,
  parallelism: 1,
} as const;

export function hashPassword(password: string): Promise<string> {
  return hash(password, ARGON2_OPTIONS);
}

export async function verifyPassword(passwordHash: string, password: string): Promise<boolean> {
  try {
    return await verify(passwordHash, password);
  } catch {
    // A malformed stored hash verifies nothing; it must not surface as a 500.
    return false;
  }
}
