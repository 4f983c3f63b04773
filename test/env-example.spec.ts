// Static checks of .env.example against the app's configuration (libs/config) and the
// variables docker-compose.yml may reference.
//
// Most assertions collect human-readable problems and expect that list to be empty, so a
// failure names every offending variable at once.
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES } from '@app/config';
import { COMPOSE_ONLY_VARIABLES, configProblems, repoFile } from './utils/deployment-files.js';

/** The heading (matched case-insensitively) that opens the compose-only section of .env.example. */
const COMPOSE_ONLY_MARKER = /docker-compose only/i;

interface EnvExampleEntry {
  name: string;
  line: number;
  commented: boolean;
  value: string;
  composeOnly: boolean;
}

const envExampleLines = repoFile('.env.example').split(/\r?\n/);
const composeOnlyStart = envExampleLines.findIndex(
  (line) => line.trimStart().startsWith('#') && COMPOSE_ONLY_MARKER.test(line),
);
/** Every `VAR=` or `# VAR=` line. */
const envExampleEntries: EnvExampleEntry[] = envExampleLines.flatMap((text, index) => {
  const match = /^\s*(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$/.exec(text);
  if (!match) return [];
  return [
    {
      name: match[2],
      line: index + 1,
      commented: match[1] !== undefined,
      value: match[3].trim(),
      composeOnly: composeOnlyStart !== -1 && index > composeOnlyStart,
    },
  ];
});

describe('.env.example', () => {
  it('documents every configuration variable and the compose-only ones, and nothing else', () => {
    const documented = new Set(envExampleEntries.map((entry) => entry.name));
    const expected = new Set<string>([...CONFIG_VARIABLES, ...COMPOSE_ONLY_VARIABLES]);
    expect({
      undocumented: [...expected].filter((name) => !documented.has(name)).sort(),
      unknown: [...documented].filter((name) => !expected.has(name)).sort(),
    }).toEqual({ undocumented: [], unknown: [] });
  });

  it('documents each variable once', () => {
    const seen = new Map<string, number>();
    const duplicates = envExampleEntries.flatMap((entry) => {
      const first = seen.get(entry.name);
      seen.set(entry.name, first ?? entry.line);
      return first === undefined ? [] : [`${entry.name} on lines ${first} and ${entry.line}`];
    });
    expect(duplicates).toEqual([]);
  });

  it('keeps the compose-only variables, and only them, in its "docker-compose only" section', () => {
    expect(composeOnlyStart === -1 ? 'no "# ... docker-compose only ..." section heading' : 'found').toBe('found');
    const misplaced = envExampleEntries.flatMap((entry) => {
      const composeOnly = (COMPOSE_ONLY_VARIABLES as readonly string[]).includes(entry.name);
      if (composeOnly === entry.composeOnly) return [];
      return [
        composeOnly
          ? `${entry.name} (line ${entry.line}) belongs in the docker-compose only section`
          : `${entry.name} (line ${entry.line}) is not in COMPOSE_ONLY_VARIABLES: app variables go above the docker-compose only section`,
      ];
    });
    expect(misplaced).toEqual([]);
  });

  it('works as a .env for development as it is, and sets no secret', () => {
    const active = envExampleEntries.filter((entry) => !entry.commented && !entry.composeOnly);
    expect(configProblems(Object.fromEntries(active.map((entry) => [entry.name, entry.value])))).toEqual([]);
    const secrets = active
      .filter((entry) => ['JWT_SECRET', 'SEED_ADMIN_PASSWORD'].includes(entry.name) && entry.value !== '')
      .map((entry) => `${entry.name} (line ${entry.line}) must stay commented out or empty`);
    expect(secrets).toEqual([]);
  });
});
