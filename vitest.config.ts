import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';
import { SlowFirstSequencer } from './test/support/slow-first-sequencer.ts';

// Files whose checks are timed against real peers (a trap in the graph within a second, a link
// red on the wall within two, frames per second): one at a time, after the rest, so that no other
// test file competes with them for the two cores. Labs and browsers without a timed check run with
// the rest.
const PEERS = [
  'test/lab/acceptance.test.ts',
  'test/lab/fabric.test.ts',
  // sFlow 1:1 through five bridges: flows are compared with counters, so no datagram may drop.
  'test/lab/fabric-ovs.test.ts',
  // Lease takeover is timed (TTL 3 s) across three collector processes.
  'test/collectors/snmp/leases.test.ts',
  'test/topology/stitch-lab.test.ts',
  'test/collectors/**/lab*.test.ts',
  'test/ovs/lab*.test.ts',
  'test/collectors/mirror/{lab-capture,replay}.test.ts',
  'test/ui/{browser,lab,perf}.test.ts',
  'test/agent/lab*.test.ts',
  // A flood, kill -9 loss and poll intervals are measured: nothing else may share the cores.
  'test/reliability/{flood,crash,disk-full,snmp-faults,lab-resync}.test.ts',
];
const ALL = ['test/**/*.test.ts', 'src/**/*.test.ts'];

export default defineConfig({
  test: {
    testTimeout: 30_000,
    hookTimeout: 120_000,
    pool: 'forks',
    sequence: { sequencer: SlowFirstSequencer },
    reporters: ['default', 'json', './test/support/slowest-files.ts'],
    outputFile: { json: '.ci/results.json' },
    projects: [
      // Everything else: one file per core, in parallel (vitest's default leaves one core idle).
      {
        extends: true,
        test: { name: 'unit', include: ALL, exclude: PEERS, maxWorkers: Math.max(2, availableParallelism()), sequence: { groupOrder: 0 } },
      },
      { extends: true, test: { name: 'peers', include: PEERS, fileParallelism: false, sequence: { groupOrder: 1 } } },
    ],
  },
});
