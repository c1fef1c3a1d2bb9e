// The storage conformance suite on SQLite (a file in a temp dir, reopened for the restart cases).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openSqliteStorage } from '../../../src/topology/store/sqlite-storage.ts';
import { describeConformance } from './conformance.ts';

describeConformance('sqlite', (now) => {
  const dir = mkdtempSync(join(tmpdir(), 'canopy-conformance-'));
  return {
    open: () => openSqliteStorage({ path: join(dir, 'canopy.db'), now }),
    destroy: () => rmSync(dir, { recursive: true, force: true }),
  };
});
