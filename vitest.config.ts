import { defineConfig } from 'vitest/config';

// Two projects by cost: unit (no I/O) and integration (the real helm binary, real Redis, the
// sandbox cluster brought up once per run by the global setup, and Debian's Chromium for test/browser).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          // Cheap tests first; the integration project then has the machine to itself.
          sequence: { groupOrder: 0 },
          environment: 'node',
          // No test may leave a socket, timer or child process behind: checked after each test and each file.
          setupFiles: ['test/setup/no-leaks-per-file.ts', 'test/setup/no-leaks-per-test.ts'],
        },
      },
      {
        test: {
          name: 'integration',
          sequence: { groupOrder: 1 },
          include: ['test/integration/**/*.test.ts', 'test/chart/**/*.test.ts', 'test/browser/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/sandbox/global-setup.ts'],
          // Per file only: these files share connections and workers across their tests.
          setupFiles: ['test/setup/no-leaks-per-file.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Two cores: files run in parallel but each isolates itself by namespace and prefix.
          maxWorkers: 2,
        },
      },
    ],
  },
});
