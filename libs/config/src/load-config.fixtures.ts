import { randomBytes } from 'node:crypto';
import { ConfigValidationError, loadConfig } from './load-config.js';

/** A secret the production rules accept: 48 random bytes, as .env.example says to generate it. */
export const STRONG_SECRET = randomBytes(48).toString('base64url');
export const PRODUCTION = { NODE_ENV: 'production', DATABASE_URL: 'postgresql://app@db:5432/app' };

/** The problems `loadConfig` lists for `env` (it must refuse it). */
export function problemsOf(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
  throw new Error('expected loadConfig to throw');
}
