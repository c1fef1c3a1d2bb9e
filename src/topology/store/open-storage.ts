// Opens the configured backend (storage.backend): SQLite in dataDir, or PostgreSQL at
// storage.postgres.url. Both block until the graph is readable, so the collector starts the same way.
import { join, resolve } from 'node:path';
import pg from 'pg';
import type { Storage } from './storage.ts';
import { openSqliteStorage } from './sqlite-storage.ts';
import { openPostgresStorage } from './postgres-storage.ts';
import { redactUrl } from './postgres-link.ts';
import { PG_SCHEMA_VERSION } from './postgres-migrations.ts';

export interface StorageConfig {
  backend: 'sqlite' | 'postgres';
  dataDir: string;
  postgres: { url: string; statementTimeout: number; connectTimeout: number; poolSize: number };
}

export function openStorage(cfg: StorageConfig, onProblem?: (what: string, error: string) => void): Storage {
  if (cfg.backend === 'sqlite') return openSqliteStorage({ path: join(resolve(cfg.dataDir), 'canopy.db') });
  return openPostgresStorage({
    url: cfg.postgres.url,
    statementTimeoutMs: cfg.postgres.statementTimeout * 1000,
    connectTimeoutMs: cfg.postgres.connectTimeout * 1000,
    poolSize: cfg.postgres.poolSize,
    // Opening waits for the server as long as a connect attempt may take, plus the load.
    syncTimeoutMs: Math.max(30_000, cfg.postgres.connectTimeout * 3000),
    ...(onProblem ? { onProblem } : {}),
  });
}

/** Where the configured storage is, for logs and /api/status. */
export function storageLocation(cfg: StorageConfig): string {
  return cfg.backend === 'sqlite' ? cfg.dataDir : redactUrl(cfg.postgres.url);
}

/**
 * `canopy collector --check`: can the configured backend be reached and used? undefined when yes,
 * else the reason (connection refused, authentication, a schema newer than this build).
 */
export async function checkStorage(cfg: StorageConfig): Promise<string | undefined> {
  if (cfg.backend !== 'postgres') return undefined;
  const client = new pg.Client({ connectionString: cfg.postgres.url, connectionTimeoutMillis: cfg.postgres.connectTimeout * 1000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const r = await client.query<{ v: number | null }>(
      "SELECT CASE WHEN to_regclass('canopy_schema') IS NULL THEN NULL ELSE (SELECT max(version) FROM canopy_schema) END AS v",
    );
    const v = r.rows[0]?.v;
    if (v != null && Number(v) > PG_SCHEMA_VERSION) return `schema version ${v} is newer than this Canopy supports (${PG_SCHEMA_VERSION})`;
    return undefined;
  } catch (e) {
    return `cannot use ${redactUrl(cfg.postgres.url)}: ${(e as Error).message || (e as { code?: string }).code || String(e)}`;
  } finally {
    await client.end().catch(() => undefined);
  }
}
