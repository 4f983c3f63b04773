import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { AppConfig } from '@app/config';

const CIPHER = 'aes-256-gcm';
const KEY_BYTES = 32;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

/** A 32-byte key derived from `secret` for one purpose (HKDF-SHA256, the purpose as `info`). */
function derive(secret: string | Buffer, salt: Buffer, info: string): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, salt, info, KEY_BYTES));
}

/**
 * What an idempotency record keeps of a client's Idempotency-Key and of the response it replays,
 * so that reading the database gives neither a key nor a response (a checkout or portal URL is a
 * bearer link):
 * - the key is stored as {@link keyHash}: HMAC-SHA256 under a key derived from the server secret
 *   (JWT_SECRET), so short keys cannot be found by hashing guesses without that secret;
 * - the response body is sealed with AES-256-GCM under a key derived from the client's key itself
 *   and the server secret (HKDF-SHA256), bound to its record by the key hash as associated data.
 *   Only a request that presents the key again can open it; the server never stores what opens it.
 * Changing JWT_SECRET forgets every record (they live 24 hours).
 */
@Injectable()
export class IdempotencySeal {
  private readonly lookupKey: Buffer;
  private readonly sealSalt: Buffer;

  constructor(config: AppConfig) {
    const noSalt = Buffer.alloc(0);
    this.lookupKey = derive(config.auth.jwtSecret, noSalt, 'idempotency-records/key-hash');
    this.sealSalt = derive(config.auth.jwtSecret, noSalt, 'idempotency-records/seal-salt');
  }

  /** What the record stores and is looked up by instead of the key: hex HMAC of the user and key. */
  keyHash(userId: string, key: string): string {
    return createHmac('sha256', this.lookupKey).update(`${userId}\0${key}`, 'utf8').digest('hex');
  }

  /** `nonce | ciphertext | tag` of `plaintext`, openable with the same user, key and hash only. */
  seal(userId: string, key: string, plaintext: string): Uint8Array<ArrayBuffer> {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv(CIPHER, this.recordKey(userId, key), nonce);
    cipher.setAAD(Buffer.from(this.keyHash(userId, key), 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return new Uint8Array(Buffer.concat([nonce, body, cipher.getAuthTag()]));
  }

  /** The sealed text, or undefined when it was sealed under another key (or altered). */
  open(userId: string, key: string, sealed: Uint8Array): string | undefined {
    if (sealed.length < NONCE_BYTES + TAG_BYTES) return undefined;
    const bytes = Buffer.from(sealed);
    const decipher = createDecipheriv(CIPHER, this.recordKey(userId, key), bytes.subarray(0, NONCE_BYTES));
    decipher.setAAD(Buffer.from(this.keyHash(userId, key), 'utf8'));
    decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
    try {
      return Buffer.concat([
        decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES)),
        decipher.final(),
      ]).toString('utf8');
    } catch {
      return undefined;
    }
  }

  private recordKey(userId: string, key: string): Buffer {
    return derive(Buffer.from(key, 'utf8'), this.sealSalt, `idempotency-records/response\0${userId}`);
  }
}
