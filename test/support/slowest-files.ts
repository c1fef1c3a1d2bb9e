// Vitest reporter: after the run, the ten test files that took longest (wall time inside the file:
// import plus tests and hooks), so that whoever adds to the suite sees what it costs.
import type { Reporter, TestModule } from 'vitest/node';

export default class SlowestFiles implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>): void {
    const rows = modules
      .map((m) => {
        const d = m.diagnostic();
        return { file: m.relativeModuleId, project: m.project.name, ms: d.collectDuration + d.duration };
      })
      .sort((a, b) => b.ms - a.ms)
      .slice(0, 10);
    if (rows.length === 0) return;
    const lines = rows.map((r) => `  ${(r.ms / 1000).toFixed(1).padStart(6)} s  ${r.file}${r.project ? ` [${r.project}]` : ''}`);
    process.stdout.write(`\nslowest test files:\n${lines.join('\n')}\n`);
  }
}
