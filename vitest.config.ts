// Vitest runs the TypeScript sources as native ES modules. Vite's transformer (Oxc) reads
// tsconfig.json's experimentalDecorators and emitDecoratorMetadata, so Nest's dependency injection
// sees the same design-time types as after `nest build`. Dependencies are not transformed: Node loads
// them once per worker, and with `isolate: false` a worker keeps its module cache from one test file to
// the next, which is most of what a test file used to cost. test/setup/each-file.ts undoes whatever
// a file left behind (spies, fake timers, stubbed globals).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const LIBS = ['config', 'database', 'redis', 'common', 'api-client'];

/**
 * The files that take longest, mostly in child processes (builds, the built server, a nested test
 * run), start first, so that no worker is left running one alone at the end. Vitest's own order
 * follows: the slowest files of the last run first, else the largest.
 */
const FIRST = ['test/feature-schematic.e2e-spec.ts', 'test/main.e2e-spec.ts'];

class SlowestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (file: TestSpecification) => {
      const index = FIRST.findIndex((name) => file.moduleId.endsWith(name));
      return index === -1 ? FIRST.length : index;
    };
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

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
    sequence: { sequencer: SlowestFirst },
    // Each test file on its own cloned database, in worker processes. Files wait on servers and
    // child processes a good part of the time: three workers keep two cores busy (measured: 97 s
    // with three, 117 s with two, for the same files; four were no faster than three).
    pool: 'forks',
    maxWorkers: 3,
    isolate: false,
  },
});
