import { randomBytes } from 'node:crypto';
import { hashOpaqueToken } from '@app/common';

/**
 * The fixed start of every API key, the one place it is written: secret scanners find leaked keys
 * by it (README "API keys" gives the regex).
 */
export const API_KEY_PREFIX = 'nsk';

const BASE62 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Characters of the public id: not secret, shown in lists to tell keys apart (71 bits, unique). */
export const API_KEY_PUBLIC_ID_LENGTH = 12;
/** Characters of the secret part: 44 base62 characters, 261 bits of randomness. */
export const API_KEY_SECRET_LENGTH = 44;

/** `nsk_<publicId>_<secret>`, both parts base62. */
export const API_KEY_PATTERN = new RegExp(
  `^${API_KEY_PREFIX}_[A-Za-z0-9]{${API_KEY_PUBLIC_ID_LENGTH}}_[A-Za-z0-9]{${API_KEY_SECRET_LENGTH}}$`,
);
export const API_KEY_LENGTH = API_KEY_PREFIX.length + 2 + API_KEY_PUBLIC_ID_LENGTH + API_KEY_SECRET_LENGTH;

/** `length` base62 characters from the system's CSPRNG, without modulo bias (bytes of 248 and up are drawn again). */
function base62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248 && out.length < length) out += BASE62[byte % 62];
    }
  }
  return out;
}

export interface NewApiKey {
  /** The whole key, shown to its owner once. */
  key: string;
  publicId: string;
  /** What is stored: SHA-256 (hex) of the whole key. */
  hash: string;
}

export function newApiKey(): NewApiKey {
  const publicId = base62(API_KEY_PUBLIC_ID_LENGTH);
  const key = `${API_KEY_PREFIX}_${publicId}_${base62(API_KEY_SECRET_LENGTH)}`;
  return { key, publicId, hash: hashApiKey(key) };
}

/** SHA-256 is enough for a key with over 256 random bits: nobody can guess one from its hash. */
export function hashApiKey(key: string): string {
  return hashOpaqueToken(key);
}

/** Whether a bearer credential is meant as an API key (by its prefix), so JWTs keep their path. */
export function looksLikeApiKey(credential: string): boolean {
  return credential.startsWith(`${API_KEY_PREFIX}_`);
}
