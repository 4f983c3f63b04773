/**
 * A measurable floor for a signing secret written by hand. It cannot prove a secret random, but
 * it refuses the guessable shapes: few distinct characters, characters repeated far more than a
 * random string repeats them, a shorter string written again.
 */
export const MIN_SECRET_DISTINCT_CHARACTERS = 16;
/** OWASP ASVS 5.0 (11.5.1) asks 128 bits of entropy of any value meant to be non-guessable. */
export const MIN_SECRET_ENTROPY_BITS = 128;

/**
 * The secret's estimated entropy in bits: its length times the Shannon entropy of its character
 * frequencies. It underestimates short random strings (a random 32-character hex string scores
 * about 118), never overestimates a repetitive one: `aaaa...` scores 0.
 */
export function estimatedEntropyBits(secret: string): number {
  const chars = [...secret];
  const counts = new Map<string, number>();
  for (const char of chars) counts.set(char, (counts.get(char) ?? 0) + 1);
  let perChar = 0;
  for (const count of counts.values()) {
    const p = count / chars.length;
    perChar -= p * Math.log2(p);
  }
  return perChar * chars.length;
}

/** Whether the secret is a shorter string written twice or more (`abcabc`). */
function isRepetition(secret: string): boolean {
  return secret.length > 1 && (secret + secret).indexOf(secret, 1) < secret.length;
}

/** What makes the secret guessable, each as a phrase; empty when it passes. */
export function secretWeaknesses(secret: string): string[] {
  const weaknesses: string[] = [];
  const distinct = new Set(secret).size;
  if (distinct < MIN_SECRET_DISTINCT_CHARACTERS) {
    weaknesses.push(`${distinct} distinct characters (at least ${MIN_SECRET_DISTINCT_CHARACTERS})`);
  }
  const bits = estimatedEntropyBits(secret);
  if (bits < MIN_SECRET_ENTROPY_BITS) {
    weaknesses.push(`about ${Math.floor(bits)} bits of estimated entropy (at least ${MIN_SECRET_ENTROPY_BITS})`);
  }
  if (isRepetition(secret)) weaknesses.push('a shorter string repeated');
  return weaknesses;
}
