import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const CIPHER = 'aes-256-gcm';
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const PREFIX = 'sealed:v1:';

/** One data-encryption key: a short id stored with every value it seals, and 32 bytes of key. */
export interface DataKey {
  id: string;
  key: Buffer;
}

/**
 * Seals short secrets kept in the database (bearer links such as a provider's hosted invoice URL)
 * with AES-256-GCM: `sealed:v1:<key id>:<base64url(nonce | ciphertext | tag)>`. The first key seals;
 * every key opens what it sealed, so a key is rotated by putting a new one first and keeping the old
 * ones until nothing sealed under them is left. `context` (say, the column and the owner) is bound as
 * associated data: a value copied to another column or row does not open.
 */
export class TextSealer {
  private readonly keys: ReadonlyMap<string, Buffer>;
  private readonly current: DataKey;

  constructor(keys: readonly DataKey[]) {
    const [current] = keys;
    if (!current) throw new Error('TextSealer needs at least one key');
    for (const { id, key } of keys) {
      if (key.length !== 32) throw new Error(`data key ${id} must be 32 bytes`);
    }
    this.current = current;
    this.keys = new Map(keys.map(({ id, key }) => [id, key]));
  }

  /** Whether `value` has the sealed form (anything else was stored before sealing began). */
  static isSealed(value: string): boolean {
    return value.startsWith(PREFIX);
  }

  seal(plaintext: string, context: string): string {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv(CIPHER, this.current.key, nonce);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    const sealed = Buffer.concat([nonce, body, cipher.getAuthTag()]).toString('base64url');
    return `${PREFIX}${this.current.id}:${sealed}`;
  }

  /** The sealed text; undefined when its key is unknown, or it was altered or sealed for another context. */
  open(value: string, context: string): string | undefined {
    if (!TextSealer.isSealed(value)) return undefined;
    const rest = value.slice(PREFIX.length);
    const separator = rest.indexOf(':');
    const key = separator > 0 ? this.keys.get(rest.slice(0, separator)) : undefined;
    if (!key) return undefined;
    const bytes = Buffer.from(rest.slice(separator + 1), 'base64url');
    if (bytes.length < NONCE_BYTES + TAG_BYTES) return undefined;
    try {
      const decipher = createDecipheriv(CIPHER, key, bytes.subarray(0, NONCE_BYTES));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      const plain = decipher.update(bytes.subarray(NONCE_BYTES, bytes.length - TAG_BYTES));
      return Buffer.concat([plain, decipher.final()]).toString('utf8');
    } catch {
      return undefined;
    }
  }
}
