// Vitest runs the TypeScript sources as native ES modules. Vite's transformer (Oxc) reads
// tsconfig.json's experimentalDecorators and emitDecoratorMetadata, so Nest's dependency injection
// sees the same design-time types as after `nest build`. Dependencies are not transformed: Node loads
// them once per worker, and with `isolate: false` a worker keeps its module cache from one test file to
// the next, which is most of what a test file used to cost. test/setup/each-file.ts undoes whatever
// a file left behind (spies, fake timers, stubbed globals).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const LIBS = ['config', 'database', 'redis', 'common', 'api-client'];

export default defineConfig({
  resolve: {
    alias: Object.fromEntries(
      LIBS.map((name) => [`@app/${name}`, fileURLToPath(new URL(`./libs/${name}/src/index.ts`, import.meta.url))]),
    ),
  },
  test: {
    include: ['{apps,libs,test}/**/*.{spec,int-spec,e2e-spec}.ts'],
    globalSetup: ['test/setup/global-setup.ts'],
    setupFiles: ['test/setup/each-file.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
    // Two cores: two worker processes, each test file on its own cloned database.
    pool: 'forks',
    maxWorkers: 2,
    isolate: false,
  },
});
