import { afterAll, vi } from 'vitest';

// Test files share their worker's module cache (isolate: false in vitest.config.ts), so nothing one
// file changes on a shared module may reach the next file.
afterAll(() => {
  vi.restoreAllMocks();
  vi.useRealTimers();
  vi.unstubAllGlobals();
  vi.unstubAllEnvs();
});
