import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'src/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 120_000,
    // One file at a time: lab files could share the machine (each has its own namespace prefix,
    // subnets and state dir), but their timed checks (a trap in the graph within a second, a link
    // red on the wall within two) must not compete with another lab for two cores.
    pool: 'forks',
    fileParallelism: false,
    reporters: ['default', 'json'],
    outputFile: { json: '.ci/results.json' },
  },
});
