import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Who the project is, kept in one place: package.json's `name` and `displayName`. The app derives
 * its defaults from it (the OpenAPI title, the boot banner, the emails' sender, the access tokens'
 * issuer and audience); `npm run template:init` renames the project there.
 */
export interface ProjectIdentity {
  /** package.json's `name`, e.g. `acme-api`: the JWT_ISSUER and JWT_AUDIENCE defaults. */
  name: string;
  /** package.json's `displayName` (else its `name`), e.g. `Acme API`: the APP_NAME default. */
  title: string;
}

/** The identity in `<root>/package.json`. */
export function readProjectIdentity(root: string): ProjectIdentity {
  const file = join(root, 'package.json');
  const pkg = JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; displayName?: unknown };
  if (typeof pkg.name !== 'string' || pkg.name === '') throw new Error(`${file} has no "name"`);
  const title = typeof pkg.displayName === 'string' && pkg.displayName !== '' ? pkg.displayName : pkg.name;
  return { name: pkg.name, title };
}

/**
 * The nearest folder above this file that holds a package.json: the repository, from the sources
 * as from dist/, and /app in the Docker image (which copies package.json next to dist/).
 */
function projectRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) throw new Error(`No package.json in ${here} or above it`);
  }
}

/** This project's identity, read once when the app loads. */
export const PROJECT: ProjectIdentity = readProjectIdentity(projectRoot());
