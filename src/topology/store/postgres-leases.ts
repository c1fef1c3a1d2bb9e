// Leases in PostgreSQL (docs/scale-out.md, "SNMP devices across collectors"): which collector may
// work on a shared resource (an SNMP device) until when, and which collectors are alive. Every
// expiry is computed and compared with the database's clock, so collectors' clocks never meet.
// Its own small pool on this thread, not the storage link: a renewal must not wait behind queued
// graph writes, and must not block the event loop while it runs.
import pg from 'pg';
import { redactUrl } from './postgres-link.ts';

export interface LeaseStoreOptions {
  url: string;
  statementTimeoutMs?: number;
  connectTimeoutMs?: number;
}

/** A lease this collector holds after a claim: new (just acquired) or renewed. */
export interface HeldLease {
  resource: string;
  /** Acquired by this claim (not a renewal). */
  fresh: boolean;
  /** Who held it before this collector (null: nobody, or this collector itself). */
  previous: string | null;
  /** A live collector that asked for it (rendezvous prefers it): hand it over. */
  wantedBy: string | null;
}

export interface LeaseRow {
  resource: string;
  holder: string;
  /** Milliseconds left on the database's clock (≤ 0: expired). */
  leftMs: number;
}

// Shared by every claim: insert (placeholder rows for resources this collector does not prefer),
// or take over a row that is mine or expired — for a non-preferred resource, expired a whole TTL,
// so that the preferred collector gets the first chance. Holder-side safety does not depend on it.
const CLAIM = `
WITH want AS (SELECT * FROM unnest($2::text[], $3::boolean[]) AS w(resource, preferred)),
up AS (
  INSERT INTO canopy_leases AS l (resource, holder, expires_at, acquired_at)
  SELECT resource, CASE WHEN preferred THEN $1 ELSE '' END,
         CASE WHEN preferred THEN now() + $4 * interval '1 millisecond' ELSE now() END, now()
  FROM want
  ON CONFLICT (resource) DO UPDATE SET
    holder = $1,
    expires_at = now() + $4 * interval '1 millisecond',
    acquired_at = CASE WHEN l.holder = $1 THEN l.acquired_at ELSE now() END,
    previous = CASE WHEN l.holder = $1 THEN l.previous WHEN l.holder = '' THEN NULL ELSE l.holder END,
    wanted_by = CASE WHEN l.holder = $1 THEN l.wanted_by END
  WHERE l.holder = $1
     OR l.expires_at <= now() - CASE WHEN excluded.holder = $1 THEN interval '0' ELSE $4 * interval '1 millisecond' END
  RETURNING l.resource, l.holder, l.previous, l.wanted_by, l.acquired_at = now() AS fresh
)
SELECT resource, previous, wanted_by, fresh FROM up WHERE holder = $1`;

export class PostgresLeaseStore {
  private readonly pool: pg.Pool;

  constructor(readonly opts: LeaseStoreOptions) {
    this.pool = new pg.Pool({
      connectionString: opts.url,
      max: 1,
      statement_timeout: opts.statementTimeoutMs ?? 5000,
      query_timeout: (opts.statementTimeoutMs ?? 5000) + 1000,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
      application_name: 'canopy-leases',
    });
    // A dropped idle connection is replaced at the next query.
    this.pool.on('error', () => undefined);
  }

  private async q<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    try {
      return (await this.pool.query(sql, params)).rows as T[];
    } catch (e) {
      throw new Error(`postgres leases (${redactUrl(this.opts.url)}): ${(e as Error).message || String(e)}`, { cause: e });
    }
  }

  /** This collector is alive for ttlMs more; returns every live collector's ID (this one included). */
  async heartbeat(me: string, ttlMs: number): Promise<string[]> {
    const rows = await this.q<{ id: string }>(
      `WITH hb AS (
         INSERT INTO canopy_collectors (id, expires_at, started_at) VALUES ($1, now() + $2 * interval '1 millisecond', now())
         ON CONFLICT (id) DO UPDATE SET expires_at = excluded.expires_at)
       SELECT id FROM canopy_collectors WHERE expires_at > now()`,
      [me, ttlMs],
    );
    // The statement's snapshot predates its own insert: a first heartbeat does not list itself.
    const ids = rows.map((r) => r.id);
    return ids.includes(me) ? ids : [...ids, me];
  }

  /**
   * One atomic statement: acquires or renews each resource for ttlMs. `preferred[i]` says whether
   * this collector is the one the assignment picks for `resources[i]`. Returns what it now holds.
   */
  async claim(me: string, resources: string[], preferred: boolean[], ttlMs: number): Promise<HeldLease[]> {
    if (resources.length === 0) return [];
    const rows = await this.q<{ resource: string; previous: string | null; wanted_by: string | null; fresh: boolean }>(CLAIM, [
      me,
      resources,
      preferred,
      ttlMs,
    ]);
    return rows.map((r) => ({ resource: r.resource, fresh: r.fresh, previous: r.previous, wantedBy: r.wanted_by }));
  }

  /** Asks the holders of these resources to hand them over (they do at their next renewal). */
  async want(me: string, resources: string[]): Promise<void> {
    if (resources.length === 0) return;
    await this.q(`UPDATE canopy_leases SET wanted_by = $1 WHERE resource = ANY($2::text[]) AND holder <> $1`, [me, resources]);
  }

  /** Ends these leases now (the caller has stopped working on them). */
  async release(me: string, resources: string[]): Promise<void> {
    if (resources.length === 0) return;
    await this.q(`UPDATE canopy_leases SET expires_at = now() WHERE holder = $1 AND resource = ANY($2::text[]) AND expires_at > now()`, [
      me,
      resources,
    ]);
  }

  /** Leaving: every lease of this collector released, its heartbeat removed. */
  async leave(me: string): Promise<void> {
    await this.q(
      `WITH r AS (UPDATE canopy_leases SET expires_at = now() WHERE holder = $1 AND expires_at > now())
       DELETE FROM canopy_collectors WHERE id = $1 OR expires_at < now() - interval '1 day'`,
      [me],
    );
  }

  /** Every lease row (status, tests). */
  async all(): Promise<LeaseRow[]> {
    const rows = await this.q<{ resource: string; holder: string; left_ms: number }>(
      `SELECT resource, holder, (extract(epoch FROM expires_at - now()) * 1000)::float8 AS left_ms FROM canopy_leases ORDER BY resource`,
    );
    return rows.map((r) => ({ resource: r.resource, holder: r.holder, leftMs: Number(r.left_ms) }));
  }

  async close(): Promise<void> {
    await this.pool.end().catch(() => undefined);
  }
}
