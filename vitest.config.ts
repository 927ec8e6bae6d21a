import { defineConfig } from 'vitest/config';

// Three projects by cost: unit (no I/O), chart (the real helm binary, no cluster) and
// integration (real Redis and the sandbox cluster, brought up once per run by the global setup).
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts', 'test/chart/**/*.test.ts'],
          environment: 'node',
          globalSetup: ['test/sandbox/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          // Two cores: files run in parallel but each isolates itself by namespace and prefix.
          maxWorkers: 2,
        },
      },
    ],
  },
});
