import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Lab tests share kernel state (namespaces, ports); they serialise themselves via a lock file.
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: '.ci/results.json' },
  },
});
