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

/** Every string (keys included) of a parsed YAML document: what compose interpolates, what a manifest sets. */
export function strings(node: unknown): string[] {
  if (typeof node === 'string') return [node];
  if (Array.isArray(node)) return node.flatMap(strings);
  if (node !== null && typeof node === 'object') {
    return Object.entries(node).flatMap(([key, value]) => [key, ...strings(value)]);
  }
  return [];
}
