// The multi-instance suite (`npm run test:cluster`): three built servers behind nginx, one file at a
// time. It needs Debian's nginx-light and the build (`npm test` or `npm run build` first); CI runs
// it after `npm test` on each Node version.
import { defineConfig } from 'vitest/config';
import base from './vitest.config.js';

export default defineConfig({
  ...base,
  test: {
    ...base.test,
    include: ['test/cluster/**/*.cluster-spec.ts'],
    sequence: undefined,
    maxWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 90_000,
  },
});
