// Starts the unit project's longest files first. Vitest orders files it has no timings for (every
// clean clone, as in CI) by file size, so the few files that wait on real peers for a minute or two
// (npm pack and install, snmpsimd, PostgreSQL) started last and ran alone at the end of the phase
// while the other worker sat idle. Measured durations, longest first; files not listed keep
// vitest's order after them.
import { relative } from 'node:path';
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const SLOW_FIRST = [
  'test/install/npm-pack.test.ts',
  'test/collectors/snmp/sim/snmpsim-peer.test.ts',
  'test/collectors/snmp/sets/sets-snmpsimd.test.ts',
  'test/topology/store/postgres-conformance.test.ts',
  'test/collectors/snmp/sets/sets-canopy.test.ts',
  'test/ui/wall.test.ts',
  'test/lab/timeline.test.ts',
  'test/cli/collector-cli.test.ts',
  'test/topology/store/clickhouse-flows.test.ts',
  'test/collectors/flows/flow-stores-collector.test.ts',
  'test/cli/cli.test.ts',
  'test/cli/tools-cli.test.ts',
];

export class SlowFirstSequencer extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (f: TestSpecification) => {
      const i = SLOW_FIRST.indexOf(relative(f.project.config.root, f.moduleId));
      return i < 0 ? SLOW_FIRST.length : i;
    };
    // Stable, and only within a project: the peers project still runs after the unit project.
    const projectOrder = new Map<string, number>();
    sorted.forEach((f) => projectOrder.has(f.project.name) || projectOrder.set(f.project.name, projectOrder.size));
    return sorted
      .map((f, i) => ({ f, i }))
      .sort((a, b) => projectOrder.get(a.f.project.name)! - projectOrder.get(b.f.project.name)! || rank(a.f) - rank(b.f) || a.i - b.i)
      .map(({ f }) => f);
  }
}
