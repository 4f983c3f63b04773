// Type-aware linting of every TypeScript file (typescript-eslint's recommended + type-checked
// rules); formatting is Prettier's job, so rules that conflict with it are off.
import js from '@eslint/js';
import prettier from 'eslint-config-prettier';
import tseslint from 'typescript-eslint';

/** `no-restricted-imports` patterns for a file under libs/: none of `outside`, no other lib's files. */
function libBoundaries(outside) {
  return [
    {
      regex: `^(\\.{1,2}/)+(${outside.join('|')})(/|$)|^/|^(${outside.join('|')})/`,
      message: 'A lib never imports app or tooling code: move the shared part into a lib.',
    },
    {
      regex: '^(\\.\\./)+(libs/)?(api-client|common|config|database|redis)/src(/|$)',
      message: 'A lib reaches another lib only through its `@app/<lib>` alias.',
    },
    {
      regex: '^@app/(?!(api-client|common|config|database|redis)$)',
      message: "The only `@app/*` aliases are the libs' indexes: a lib imports no app code.",
    },
  ];
}

/**
 * The rooms of apps/api/src (CONTRIBUTING.md, "Architecture"). Shared rooms hold what every feature
 * needs (HTTP plumbing, identity and access, the security event log, mail); wiring rooms put the app
 * together; every other folder is a feature (auth, users, sessions, billing, health, and generated ones).
 */
const SHARED_ROOMS = ['core', 'iam', 'audit', 'mail'];
const WIRING_ROOMS = ['seed', 'cli'];
/** How deep the checked files sit below apps/api/src; deeper ones are held to the deepest rule. */
const MAX_DEPTH = 5;

/** Rules every app file follows: libs through their alias, never the developer tooling. */
const APP_PATTERNS = [
  { regex: '^(\\.\\./)+libs(/|$)', message: 'Import a lib through its `@app/<lib>` alias.' },
  { regex: '^(\\.\\./)+tools(/|$)', message: 'The app never imports the developer tooling in tools/.' },
];

/** An import spec that leaves a room from `depth` folders below apps/api/src, into `target`. */
function leaving(depth, target) {
  return `^(\\.\\./){${depth}}(?!\\.\\./)${target}`;
}

/**
 * Import boundaries inside the app, one config block per folder depth (a relative import leaves its
 * room after exactly that many `../`): shared rooms import no feature and no wiring; a feature
 * imports shared rooms freely, another feature only through what its module exports (its module,
 * its services, their DTOs and errors), and no wiring.
 */
function appBoundaries() {
  const shared = `(${SHARED_ROOMS.join('|')})`;
  const wiring = `(${WIRING_ROOMS.join('|')})`;
  const blocks = [
    { files: ['apps/**/*.ts'], rules: { 'no-restricted-imports': ['error', { patterns: APP_PATTERNS }] } },
  ];
  for (let depth = 1; depth <= MAX_DEPTH; depth++) {
    const files = [`apps/api/src/${'*/'.repeat(depth)}*.ts`];
    blocks.push({
      files: files.map((glob) => glob.replace('src/*/', `src/{${SHARED_ROOMS.join(',')}}/`)),
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              ...APP_PATTERNS,
              {
                regex: leaving(depth, `(?!${shared}/)`),
                message: `${SHARED_ROOMS.join('/, ')}/ import no feature and no wiring: features import them, never the reverse.`,
              },
            ],
          },
        ],
      },
    });
    blocks.push({
      files,
      ignores: [...SHARED_ROOMS, ...WIRING_ROOMS].map((room) => `apps/api/src/${room}/**`),
      rules: {
        'no-restricted-imports': [
          'error',
          {
            patterns: [
              ...APP_PATTERNS,
              {
                regex: `${leaving(depth, `${wiring}/`)}|${leaving(depth, '[^/]+\\.js$')}`,
                message:
                  'A feature never imports the wiring (app.module, main, seed/, cli/): the wiring imports features.',
              },
              {
                regex: leaving(
                  depth,
                  `(?!(${shared}|${wiring})/)[^/]+/(?!([^/]+/)*([^/]+\\.(module|service|errors)\\.js$|dto/))`,
                ),
                message:
                  'A feature reaches another feature only through what its module exports (its module, services, their DTOs and errors); code that several features need belongs in core/, iam/ or audit/.',
              },
            ],
          },
        ],
      },
    });
  }
  return blocks;
}

export default tseslint.config(
  {
    ignores: [
      'dist/**',
      'node_modules/**',
      '.data/**',
      'coverage/**',
      'libs/database/src/generated/**',
      'libs/api-client/src/schema.d.ts',
      'schematics/feature/files/**',
      'tools/bench/results/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // Nest modules and DTOs are classes with decorators and no members.
      '@typescript-eslint/no-extraneous-class': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Implementations of Promise-returning interfaces (providers, transports, test doubles) are
      // async without awaiting anything; that is intended.
      '@typescript-eslint/require-await': 'off',
    },
  },
  {
    // Import boundaries (CONTRIBUTING.md, "Architecture"): the arrows point from apps to libs, never
    // back. A lib imports no app, test or tooling code, and reaches another lib only through its
    // `@app/<lib>` alias (its index), never by a relative path into that lib's files.
    files: ['libs/**/*.ts'],
    ignores: ['libs/**/*.spec.ts', 'libs/**/*.int-spec.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: libBoundaries(['apps', 'test', 'schematics', 'tools']) }],
    },
  },
  {
    // A lib's own tests may use the shared test helpers (test/), and nothing else outside libs.
    files: ['libs/**/*.spec.ts', 'libs/**/*.int-spec.ts'],
    rules: {
      'no-restricted-imports': ['error', { patterns: libBoundaries(['apps', 'schematics', 'tools']) }],
    },
  },
  ...appBoundaries(),
  {
    files: ['**/*.spec.ts', '**/*.int-spec.ts', '**/*.e2e-spec.ts', 'test/**/*.ts'],
    rules: {
      // Tests read JSON bodies of HTTP responses, which are untyped by nature.
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
      '@typescript-eslint/unbound-method': 'off',
      // `res.json() as Shape` states what a test expects from an untyped body.
      '@typescript-eslint/no-unnecessary-type-assertion': 'off',
      '@typescript-eslint/no-base-to-string': 'off',
    },
  },
  {
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    extends: [tseslint.configs.disableTypeChecked],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        Buffer: 'readonly',
        URL: 'readonly',
        fetch: 'readonly',
        AbortSignal: 'readonly',
        AbortController: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
      },
    },
  },
  {
    // CommonJS on purpose: the schematics collection, loaded with require() by the Angular devkit.
    files: ['schematics/**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', exports: 'writable', require: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
