import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // Lab tests each get their own namespace prefix, subnets and state dir, so files may run in parallel.
    pool: 'forks',
    reporters: ['default', 'json'],
    outputFile: { json: '.ci/results.json' },
  },
});
