// POST /api/verify-cabling: a cabling plan (CSV or fabric DSL, by Content-Type) against the
// observed links (docs/architecture.md#cabling-intent). It only reads, so viewers may call it.
// GET /api/cabling: the same check of the plan the config names (topology.cablingIntent), which
// the wall display shows.
import { readFile } from 'node:fs/promises';
import type { ApiApp, ApiDeps } from '../app.ts';
import { json, problem } from '../problem.ts';
import { CablingPlanError, parseCablingPlan } from '../../cabling/plan.ts';
import { verifyCabling } from '../../cabling/verify.ts';

/** Media types → plan syntax. */
export const CABLING_TYPES: Record<string, 'csv' | 'dsl'> = {
  'text/csv': 'csv',
  'text/plain': 'dsl',
  'text/x-canopy-fabric': 'dsl',
};

/** The plan syntax of an intent file: CSV by its extension, else the fabric DSL. */
export const intentFormat = (file: string): 'csv' | 'dsl' => (file.toLowerCase().endsWith('.csv') ? 'csv' : 'dsl');

export function registerCablingRoutes(app: ApiApp, deps: Pick<ApiDeps, 'store' | 'config'>): void {
  app.get('/api/cabling', async (c) => {
    const file = deps.config.topology.cablingIntent;
    // No plan configured is an answer, not an error: the wall asks on every load.
    if (!file) return json(c, { Intent: null });
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (e) {
      return problem(c, 503, 'Cabling intent unreadable', `${file}: ${(e as Error).message}`);
    }
    try {
      const plan = parseCablingPlan(text, intentFormat(file));
      return json(c, { Intent: file, At: Date.now(), ...verifyCabling(deps.store, plan) });
    } catch (e) {
      if (e instanceof CablingPlanError) return problem(c, 503, 'Bad cabling intent', `${file} ${e.message}`, { line: e.line });
      throw e;
    }
  });

  app.post('/api/verify-cabling', async (c) => {
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    const format = CABLING_TYPES[type];
    if (!format)
      return problem(
        c,
        415,
        'Unsupported Media Type',
        `send the plan as text/csv (header a_device,a_port,b_device,b_port) or text/plain (fabric DSL), not "${type || 'none'}"`,
      );
    const text = await c.req.text();
    let plan;
    try {
      plan = parseCablingPlan(text, format);
    } catch (e) {
      if (e instanceof CablingPlanError) return problem(c, 400, 'Bad cabling plan', e.message, { line: e.line });
      throw e;
    }
    return json(c, verifyCabling(deps.store, plan));
  });
}
