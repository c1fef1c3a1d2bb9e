// /api/devices: SNMP targets, CRUD (docs/architecture.md#http-api). Lists are objects keyed by ID like Skydive's;
// config devices are listed read-only; writes need the admin role; secrets are never returned.
// The SNMP component exposes the device table as a DeviceAdmin; this module is only HTTP.
import { z } from 'zod';
import type { ApiApp } from '../app.ts';
import { requireAdmin } from '../app.ts';
import { HttpProblem, json, problem } from '../problem.ts';
import { deviceSchema, type DeviceConfig } from '../../collectors/snmp/config.ts';
import { deviceId, endpointOf, publicView, sharingProblem, type Target } from '../../collectors/snmp/devices.ts';
import type { DeviceAdmin } from '../../collectors/snmp/device-admin.ts';

async function body(c: { req: { json(): Promise<unknown> } }): Promise<DeviceConfig> {
  let raw: unknown;
  try {
    raw = await c.req.json();
  } catch {
    throw new HttpProblem(400, 'Bad Request', 'the body is not JSON');
  }
  if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    // Skydive clients send the ID and our own read-only fields back; ignore them.
    const { ID: _id, Source: _s, Status: _st, ...rest } = raw as Record<string, unknown>;
    raw = rest;
  }
  const r = deviceSchema.safeParse(raw);
  if (!r.success)
    throw new HttpProblem(400, 'Bad Request', z.prettifyError(r.error), {
      issues: r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  return r.data;
}

export function registerDeviceRoutes(app: ApiApp, b: DeviceAdmin): void {
  const view = (t: Target) => ({ ...publicView(t), Status: b.status(t.id) ?? null });
  const find = (id: string) => b.targets().find((t) => t.id === id);

  app.get('/api/devices', (c) => json(c, Object.fromEntries(b.targets().map((t) => [t.id, view(t)]))));
  app.get('/api/devices/:id', (c) => {
    const t = find(c.req.param('id'));
    return t ? json(c, view(t)) : problem(c, 404, 'Not Found', `no device ${c.req.param('id')}`);
  });
  app.post('/api/devices', async (c) => {
    requireAdmin(c);
    const d = await body(c);
    // Another device at this address:port: allowed as a device of its own (a proxy, several
    // communities or v3 contexts) only when both are named and differ in community/context.
    const same = b.targets().filter((t) => endpointOf(t) === endpointOf(d));
    for (const t of same) {
      const why = sharingProblem(t.config, d);
      if (why)
        return problem(c, 409, 'Conflict', `device ${t.key} exists at ${d.address}:${d.port} (ID ${t.id}, from ${t.source}): ${why}`, {
          ID: t.id,
        });
    }
    const id = deviceId(d.address, d.port, same.length ? d.name : undefined);
    if (find(id)) return problem(c, 409, 'Conflict', `device ${id} exists`, { ID: id });
    b.put(id, d);
    return json(c, view(find(id)!), 201);
  });
  app.put('/api/devices/:id', async (c) => {
    requireAdmin(c);
    const id = c.req.param('id');
    const existing = find(id);
    if (!existing) return problem(c, 404, 'Not Found', `no device ${id} (create devices with POST /api/devices)`);
    if (existing.source === 'config') return problem(c, 409, 'Conflict', `device ${id} is defined in the config file; edit it there`);
    const d = await body(c);
    if (endpointOf(d) !== endpointOf(existing) || (existing.id !== deviceId(d.address, d.port) && d.name !== existing.config.name))
      return problem(
        c,
        400,
        'Bad Request',
        'address and port (and the name of a second device at one address:port) identify a device and cannot change; create a new device instead',
      );
    b.put(id, d);
    return json(c, view(find(id)!));
  });
  app.delete('/api/devices/:id', (c) => {
    requireAdmin(c);
    const id = c.req.param('id');
    const existing = find(id);
    if (!existing) return problem(c, 404, 'Not Found', `no device ${id}`);
    if (existing.source === 'config') return problem(c, 409, 'Conflict', `device ${id} is defined in the config file; remove it there`);
    b.delete(id);
    return c.body(null, 200);
  });
}
