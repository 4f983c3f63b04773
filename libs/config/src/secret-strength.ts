/**
 * A measurable floor for a signing secret written by hand. It cannot prove a secret random, but
 * it refuses the guessable shapes: few distinct characters, characters repeated far more than a
 * random string repeats them, a shorter string written again, runs of consecutive characters, and
 * variations of a secret the project publishes. None of them refuses a random 48-byte base64url
 * secret (what the docs tell users to generate) in practice: the likeliest, too many characters in
 * runs, needs 13 or more characters each one step from the last (4 runs, at 1/64 a step), a chance
 * below one in 10^15 per secret.
 */
const MIN_SECRET_DISTINCT_CHARACTERS = 16;
/** OWASP ASVS 5.0 (11.5.1) asks 128 bits of entropy of any value meant to be non-guessable. */
const MIN_SECRET_ENTROPY_BITS = 128;

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

/** A run is this many characters or more, each one code point above (`abcd`) or below (`4321`) the last. */
const MIN_SECRET_RUN_LENGTH = 4;
/** At most this share of the secret may lie in runs. */
const MAX_SECRET_RUN_SHARE = 0.25;

/**
 * How many of the secret's characters lie in runs of consecutive code points ({@link
 * MIN_SECRET_RUN_LENGTH} or longer, ascending or descending): 36 of `abcdefghijklmnopqrstuvwxyz0123456789`
 * (`z` to `0` is no step), 0 of a random string almost always.
 */
export function charactersInRuns(secret: string): number {
  const codes = [...secret].map((char) => char.codePointAt(0) ?? 0);
  let inRuns = 0;
  let start = 0;
  while (start < codes.length) {
    const step = (codes[start + 1] ?? NaN) - (codes[start] ?? NaN);
    let end = start + 1;
    if (step === 1 || step === -1) {
      while (end < codes.length && (codes[end] ?? 0) - (codes[end - 1] ?? 0) === step) end++;
      if (end - start >= MIN_SECRET_RUN_LENGTH) inRuns += end - start;
      // The last character may start a run the other way (`abcba`): it is counted once at most.
      start = end - start >= MIN_SECRET_RUN_LENGTH ? end : end - 1;
    } else {
      start = end;
    }
  }
  return inRuns;
}

/** A secret the project publishes (the development default, an example), refused with variations. */
export interface PublishedSecret {
  /** How the refusal names it: `the development default`. */
  name: string;
  value: string;
}

/** Sharing this many characters in a row with a published secret (case and punctuation ignored) is refused. */
const MIN_SHARED_WITH_PUBLISHED = 12;
/** Being within this share of a published secret's length in edits (case and punctuation ignored) is refused. */
const MAX_EDITS_FROM_PUBLISHED_SHARE = 0.25;

/** Letters and digits only, lower-cased: `Dev_Only-JWT` and `devonlyjwt` are the same to a guesser. */
function folded(text: string): string {
  return text.toLowerCase().replace(/[^\p{L}\p{N}]/gu, '');
}

/** The length of the longest string both contain. */
function longestCommonSubstring(a: string, b: string): number {
  let longest = 0;
  let previous = new Array<number>(b.length + 1).fill(0);
  for (let i = 1; i <= a.length; i++) {
    const current = new Array<number>(b.length + 1).fill(0);
    for (let j = 1; j <= b.length; j++) {
      if (a[i - 1] !== b[j - 1]) continue;
      current[j] = (previous[j - 1] ?? 0) + 1;
      longest = Math.max(longest, current[j] ?? 0);
    }
    previous = current;
  }
  return longest;
}

/** Levenshtein distance: the fewest insertions, deletions and substitutions turning `a` into `b`. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min(substitution, (previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/**
 * Whether the secret is a variation of `published`, compared on letters and digits only,
 * lower-cased: it shares {@link MIN_SHARED_WITH_PUBLISHED} characters in a row with it, or is
 * at most {@link MAX_EDITS_FROM_PUBLISHED_SHARE} of its length in edits away.
 */
function isCloseTo(secret: string, published: string): boolean {
  const a = folded(secret);
  const b = folded(published);
  return (
    longestCommonSubstring(a, b) >= Math.min(MIN_SHARED_WITH_PUBLISHED, b.length) ||
    editDistance(a, b) <= Math.floor(b.length * MAX_EDITS_FROM_PUBLISHED_SHARE)
  );
}

/** Whether the secret is a shorter string written twice or more (`abcabc`). */
function isRepetition(secret: string): boolean {
  return secret.length > 1 && (secret + secret).indexOf(secret, 1) < secret.length;
}

/** What makes the secret guessable, each as a phrase; empty when it passes. */
export function secretWeaknesses(secret: string, published: readonly PublishedSecret[] = []): string[] {
  const weaknesses: string[] = [];
  for (const { name, value } of published) {
    if (isCloseTo(secret, value)) {
      weaknesses.push(
        `close to ${name} (${MIN_SHARED_WITH_PUBLISHED}+ characters in a row of it, or at most a quarter of its ` +
          'length in edits from it, ignoring case and punctuation)',
      );
    }
  }
  const distinct = new Set(secret).size;
  if (distinct < MIN_SECRET_DISTINCT_CHARACTERS) {
    weaknesses.push(`${distinct} distinct characters (at least ${MIN_SECRET_DISTINCT_CHARACTERS})`);
  }
  const bits = estimatedEntropyBits(secret);
  if (bits < MIN_SECRET_ENTROPY_BITS) {
    weaknesses.push(`about ${Math.floor(bits)} bits of estimated entropy (at least ${MIN_SECRET_ENTROPY_BITS})`);
  }
  if (isRepetition(secret)) weaknesses.push('a shorter string repeated');
  const length = [...secret].length;
  const inRuns = charactersInRuns(secret);
  if (inRuns > length * MAX_SECRET_RUN_SHARE) {
    weaknesses.push(`${inRuns} of ${length} characters in runs such as abcd or 4321 (at most a quarter)`);
  }
  return weaknesses;
}
