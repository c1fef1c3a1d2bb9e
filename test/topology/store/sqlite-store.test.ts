// What is SQLite's own beyond the conformance suite (sqlite-conformance.test.ts): lookups use the
// indexes the schema declares.
import { describe, it, expect, beforeEach, afterEach } from 'vitest';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openGraphStore, type SqliteGraphStore } from '../../../src/topology/store/sqlite-store.ts';

let dir: string;
let store: SqliteGraphStore;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'canopy-store-'));
  store = openGraphStore({ path: join(dir, 'canopy.db'), now: () => 1_000_000 });
});
afterEach(() => {
  store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('SqliteGraphStore', () => {
  it('uses indexes for metadata keys and edge ends', () => {
    const plan = store.database
      .prepare("EXPLAIN QUERY PLAN SELECT n.* FROM node_keys k JOIN nodes n ON n.id = k.id WHERE k.key = 'MAC' AND k.value = 'x'")
      .all() as { detail: string }[];
    expect(plan.map((p) => p.detail).join(' ')).toMatch(/USING (COVERING )?INDEX node_keys_kv/);
    const plan2 = store.database.prepare('EXPLAIN QUERY PLAN SELECT * FROM edges WHERE parent = ?').all('x') as { detail: string }[];
    expect(plan2[0]!.detail).toMatch(/USING INDEX edges_parent/);
  });
});
