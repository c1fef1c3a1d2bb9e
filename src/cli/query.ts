// `canopy query [--collector URL | --data-dir DIR] [--at T] [--dot] QUERY`
import { join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { parseFlags } from '../util/args.ts';
import { openGraphStore } from '../topology/store/sqlite-store.ts';
import { runQuery, isQueryError } from '../topology/query/index.ts';
import { elementsOf, toDot } from '../api/dot.ts';
import { reason, usageError } from './output.ts';

const HELP = `usage: canopy query [options] "G.V().Has('Type','switch')"
  --collector URL   ask a running collector (default http://127.0.0.1:8082)
  --data-dir DIR    or read a collector's SQLite store directly (read-only)
  --user NAME --password PW | --token T   credentials for a collector with auth on
  --dot             print Graphviz DOT instead of JSON (the result must be a graph)
  -h, --help        this help

Prints the result as JSON on stdout (what POST /api/topology answers).

exit status:
  0  the query ran
  1  query error, or no collector/store reachable, or the collector refused (401, 403 …)
  2  usage error: unknown option, no query or more than one`;

export async function run(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseFlags(args, {
      collector: { type: 'string' },
      'data-dir': { type: 'string' },
      user: { type: 'string' },
      password: { type: 'string' },
      token: { type: 'string' },
      dot: { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    });
  } catch (e) {
    return usageError('query', (e as Error).message);
  }
  const { values: f, positionals } = parsed;
  if (f.help) {
    process.stdout.write(HELP + '\n');
    return 0;
  }
  if (positionals.length !== 1)
    return usageError('query', positionals.length ? `one QUERY only, got ${positionals.length} (quote it)` : 'no QUERY given');
  const query = positionals[0]!;
  let result: unknown;
  if (f['data-dir']) {
    const db = join(resolve(f['data-dir']), 'canopy.db');
    if (!existsSync(db)) {
      process.stderr.write(`canopy query: no store at ${db}\n`);
      return 1;
    }
    const store = openGraphStore({ path: db, readonly: true });
    try {
      result = runQuery(store, query).value;
    } catch (e) {
      if (!isQueryError(e)) throw e;
      process.stderr.write(`canopy query: ${e.message}\n`);
      return 1;
    } finally {
      store.close();
    }
  } else {
    const base = (f.collector ?? 'http://127.0.0.1:8082').replace(/\/+$/, '');
    const headers: Record<string, string> = { 'Content-Type': 'application/json' };
    if (f.token) headers.Authorization = `Bearer ${f.token}`;
    else if (f.user) headers.Authorization = `Basic ${Buffer.from(`${f.user}:${f.password ?? ''}`).toString('base64')}`;
    let res: Response;
    try {
      res = await fetch(`${base}/api/topology`, { method: 'POST', headers, body: JSON.stringify({ GremlinQuery: query }) });
    } catch (e) {
      // fetch says "fetch failed"; the cause says why (connection refused, name not found …).
      const why = reason((e as { cause?: unknown }).cause ?? e);
      const local = existsSync(join('data', 'canopy.db')) ? ' (./data has one)' : '';
      process.stderr.write(
        `canopy query: cannot reach a collector at ${base}: ${why}; start one (canopy collector), point --collector at it, or read a collector's data dir offline with --data-dir DIR${local}\n`,
      );
      return 1;
    }
    const text = await res.text();
    if (!res.ok) {
      let detail = text;
      try {
        detail = (JSON.parse(text) as { detail?: string }).detail ?? text;
      } catch {
        // not JSON: print as is
      }
      process.stderr.write(`canopy query: ${res.status}: ${detail}\n`);
      return 1;
    }
    result = text ? JSON.parse(text) : null;
  }
  if (f.dot) {
    const els = elementsOf(result);
    if (!els) {
      process.stderr.write('canopy query: the result is not a graph; drop --dot\n');
      return 1;
    }
    process.stdout.write(toDot(els.nodes, els.edges));
  } else {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n');
  }
  return 0;
}
