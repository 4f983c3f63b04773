import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ConfigValidationError, loadConfig } from '@app/config';

/**
 * Variables that docker-compose.yml may reference although the app never reads them. They
 * configure the `postgres` service and must be documented in the "docker-compose only"
 * section of .env.example, which must list exactly these.
 */
export const COMPOSE_ONLY_VARIABLES = ['POSTGRES_USER', 'POSTGRES_PASSWORD', 'POSTGRES_DB'] as const;

/** A file of the repository, by its path from the root. */
export const repoFile = (name: string): string => readFileSync(resolve(process.cwd(), name), 'utf8');

/** The problems loadConfig reports, or [] when it accepts the environment. */
export function configProblems(env: Record<string, string | undefined>): string[] {
  try {
    loadConfig(env);
    return [];
  } catch (error) {
    if (error instanceof ConfigValidationError) return error.problems;
    throw error;
  }
}
