import { defineConfig } from 'vitest/config';

// Files that bring up a namespace lab or a browser, or time real peers (a trap in the graph within a
// second, a link red on the wall within two). They run one at a time, after the rest, so their timed
// checks never share the two cores with another test file.
const PEERS = ['test/lab/**/*.test.ts', '**/*lab*.test.ts', 'test/ui/{browser,wall,perf}.test.ts'];
const ALL = ['test/**/*.test.ts', 'src/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    reporters: ['default', 'json', './test/support/slowest-files.ts'],
    outputFile: { json: '.ci/results.json' },
    projects: [
      // Everything else: one file per core, in parallel.
      { extends: true, test: { name: 'unit', include: ALL, exclude: PEERS, sequence: { groupOrder: 0 } } },
      { extends: true, test: { name: 'peers', include: PEERS, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
