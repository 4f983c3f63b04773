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
      regex: '^(\\.\\./)+(libs/)?(api-client|cache|common|config|database)/src(/|$)',
      message: 'A lib reaches another lib only through its `@app/<lib>` alias.',
    },
    {
      regex: '^@app/(?!(api-client|cache|common|config|database)$)',
      message: "The only `@app/*` aliases are the libs' indexes: a lib imports no app code.",
    },
  ];
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
  {
    // The app reaches a lib only through its `@app/<lib>` alias, not by a path into its files, and
    // never imports the developer tooling (tools/ runs the built app, not the other way round).
    files: ['apps/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              regex: '^(\\.\\./)+libs(/|$)',
              message: 'Import a lib through its `@app/<lib>` alias.',
            },
            {
              regex: '^(\\.\\./)+tools(/|$)',
              message: 'The app never imports the developer tooling in tools/.',
            },
          ],
        },
      ],
    },
  },
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
    // CommonJS on purpose: the schematics collection (loaded with require() by the Angular devkit)
    // and a Jest transformer.
    files: ['schematics/**/*.js', '**/*.cjs'],
    languageOptions: {
      sourceType: 'commonjs',
      globals: { module: 'writable', exports: 'writable', require: 'readonly', __dirname: 'readonly' },
    },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  prettier,
);
