// Jest runs the TypeScript sources as native ES modules (Nest 12 is ESM-only), transpiled by SWC
// with legacy decorators and decorator metadata, exactly as `nest build` compiles them.
// Run through `npm test`, which adds --experimental-vm-modules.

/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  rootDir: '.',
  roots: ['<rootDir>/apps', '<rootDir>/libs', '<rootDir>/test'],
  testRegex: '.*\\.(spec|int-spec|e2e-spec)\\.ts$',
  extensionsToTreatAsEsm: ['.ts'],
  moduleFileExtensions: ['ts', 'js', 'mjs', 'cjs', 'json'],
  transform: {
    '^.+\\.ts$': [
      '@swc/jest',
      {
        jsc: {
          parser: { syntax: 'typescript', decorators: true },
          transform: { legacyDecorator: true, decoratorMetadata: true },
          target: 'es2023',
          keepClassNames: true,
        },
        module: { type: 'es6' },
        sourceMaps: 'inline',
      },
    ],
    '/node_modules/@nestjs/throttler/.+\\.js$': '<rootDir>/test/setup/esm-bridge.transformer.cjs',
    '/node_modules/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2023' } }],
  },
  // A few CommonJS dependencies require() ESM-only packages. Node 20.19 allows that, Jest's
  // module loader does not, so those packages are compiled to CommonJS for the tests.
  transformIgnorePatterns: ['/node_modules/(?!(content-disposition|cookie|set-cookie-parser|@nestjs/throttler)/)'],
  setupFiles: ['<rootDir>/test/setup/esm-bridge.setup.ts'],
  moduleNameMapper: {
    '^@app/(config|database|redis|common|api-client)$': '<rootDir>/libs/$1/src/index.ts',
    '^(\\.{1,2}/.*)\\.js$': '$1',
  },
  globalSetup: '<rootDir>/test/setup/global-setup.mjs',
  globalTeardown: '<rootDir>/test/setup/global-teardown.mjs',
  testTimeout: 30_000,
  // Two cores: two workers, each test file on its own cloned database.
  maxWorkers: 2,
};
