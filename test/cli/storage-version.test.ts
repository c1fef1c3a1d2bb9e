// A data dir written by a newer Canopy: the collector and `canopy query --data-dir` stop with a
// message naming the file, its schema version and the supported one, and leave the file alone.
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { SCHEMA_VERSION } from '../../src/topology/store/sqlite-migrations.ts';

const bin = resolve('bin/canopy.js');
const dir = mkdtempSync(join(tmpdir(), 'canopy-cli-version-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function canopy(args: string[]) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CANOPY_')));
  return spawnSync(process.execPath, [bin, ...args], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
}

describe('a database from a newer Canopy', () => {
  const file = join(dir, 'canopy.db');
  const db = new Database(file);
  db.exec('CREATE TABLE nodes (id TEXT PRIMARY KEY)');
  db.pragma(`user_version = ${SCHEMA_VERSION + 5}`);
  db.close();
  const before = readFileSync(file);
  const message = `${file}: schema version ${SCHEMA_VERSION + 5} is newer than this Canopy supports (${SCHEMA_VERSION})`;

  it('the collector refuses to start, says why, exits non-zero', () => {
    const r = canopy(['collector', '--data-dir', dir]);
    expect(r.status).toBe(1);
    expect(r.stdout + r.stderr).toContain(message);
    expect(readFileSync(file).equals(before)).toBe(true);
  });

  it('canopy query --data-dir refuses it in one line', () => {
    const r = canopy(['query', '--data-dir', dir, 'G.V()']);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(message);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });
});
