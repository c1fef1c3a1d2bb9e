// /api/alert: Skydive's alert resource (docs/alerts.md#api) — rules keyed by UUID with Expression,
// Action, Trigger, and Canopy's state of each (firing, pending, held instances). Creating and
// deleting need the admin role like every other write (requiredRole in ../app.ts).
import { z } from 'zod';
import type { ApiApp } from '../app.ts';
import { requireAdmin } from '../app.ts';
import { HttpProblem, json, problem } from '../problem.ts';
import type { AlertAdmin } from '../../alerts/component.ts';
import { RuleError } from '../../alerts/rules.ts';

export function registerAlertRoutes(app: ApiApp, admin: AlertAdmin): void {
  app.get('/api/alert', (c) => json(c, admin.list()));
  app.get('/api/alert/:id', (c) => {
    const a = admin.get(c.req.param('id'));
    return a ? json(c, a) : problem(c, 404, 'Not Found', `no alert ${c.req.param('id')}`);
  });
  app.post('/api/alert', async (c) => {
    requireAdmin(c);
    let raw: unknown;
    try {
      raw = await c.req.json();
    } catch {
      throw new HttpProblem(400, 'Bad Request', 'the body is not JSON');
    }
    try {
      return json(c, admin.create(raw), 201);
    } catch (e) {
      if (e instanceof z.ZodError) throw new HttpProblem(400, 'Bad Request', z.prettifyError(e));
      if (e instanceof RuleError) throw new HttpProblem(400, 'Bad Request', e.message);
      throw e;
    }
  });
  app.delete('/api/alert/:id', (c) => {
    requireAdmin(c);
    const id = c.req.param('id');
    const r = admin.delete(id);
    if (r === 'unknown') return problem(c, 404, 'Not Found', `no alert ${id}`);
    if (r === 'config') return problem(c, 409, 'Conflict', `alert ${id} comes from the config file (alerts.rules); change it there`);
    return c.body(null, 200);
  });
}

/** The alert paths for /api/openapi.json. */
export function alertsOpenApi(): Record<string, object> {
  const alert = {
    type: 'object',
    required: ['Expression'],
    properties: {
      UUID: { type: 'string' },
      Name: { type: 'string' },
      Description: { type: 'string' },
      Expression: { type: 'string', description: 'Gremlin query' },
      Action: { type: 'string', description: 'webhook URL this alert is also sent to (Alertmanager JSON)' },
      Trigger: { type: 'string', description: '"graph" or "duration:<N>s"' },
      Condition: { type: 'object', description: 'Canopy: {kind: match|link-down|utilisation|silent|new-device|cabling, …}' },
      For: { description: 'Canopy: hold-down in seconds or "5m"' },
      State: { type: 'string', enum: ['inactive', 'pending', 'firing'], readOnly: true },
      Instances: { type: 'array', readOnly: true, items: { type: 'object' } },
    },
  };
  const problemRef = { description: 'problem details (RFC 9457)' };
  const body = (d: string) => ({ description: d, content: { 'application/json': { schema: alert } } });
  return {
    '/api/alert': {
      get: { summary: 'alert rules keyed by UUID, with their state', responses: { 200: { description: 'object keyed by UUID' } } },
      post: {
        summary: 'create an alert rule (Skydive fields; Condition and For are Canopy additions)',
        requestBody: { content: { 'application/json': { schema: alert } } },
        responses: { 201: body('the rule'), 400: problemRef },
      },
    },
    '/api/alert/{id}': {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      get: { summary: 'one alert rule and its state', responses: { 200: body('the rule'), 404: problemRef } },
      delete: {
        summary: 'remove an alert rule created through the API (its firing alerts resolve)',
        responses: { 200: { description: 'deleted' }, 404: problemRef, 409: problemRef },
      },
    },
  };
}
