// Webhook payloads and delivery against real HTTP receivers on 127.0.0.1: Alertmanager and Slack
// formats, retry with backoff, giving up, and a dead receiver that neither blocks nor grows memory.
import { afterEach, describe, expect, it } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Registry } from 'prom-client';
import { Webhook, redact } from '../../src/alerts/delivery.ts';
import { payload, type Notice } from '../../src/alerts/formats.ts';
import { counter } from '../../src/util/metrics.ts';
import { RateLimitedLog, silentLogger } from '../../src/util/log.ts';

interface Receiver {
  url: string;
  bodies: unknown[];
  times: number[];
  server: Server;
}
const servers: Server[] = [];
const hooks: Webhook[] = [];
afterEach(async () => {
  for (const h of hooks.splice(0)) h.stop();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

async function receiver(answer: (n: number, req: IncomingMessage, res: ServerResponse) => void): Promise<Receiver> {
  const r: Receiver = { url: '', bodies: [], times: [], server: undefined as unknown as Server };
  r.server = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      r.bodies.push(JSON.parse(body));
      r.times.push(performance.now());
      answer(r.bodies.length, req, res);
    });
  });
  servers.push(r.server);
  await new Promise<void>((ok) => r.server.listen(0, '127.0.0.1', ok));
  r.url = `http://127.0.0.1:${(r.server.address() as AddressInfo).port}/hook/secret-token`;
  return r;
}

const notice = (status: 'firing' | 'resolved', key = 'edge-1'): Notice => ({
  rule: 'spine-link-down',
  description: 'a spine uplink is down',
  transition: {
    status,
    key,
    subject: {
      key,
      labels: { name: 'eth1', a: 'spine1:Ethernet1', b: 'leaf1:swp1' },
      summary: 'link spine1:Ethernet1 — leaf1:swp1 is DOWN',
    },
    startsAt: Date.UTC(2026, 0, 1, 10, 0, 0),
    ...(status === 'resolved' ? { endsAt: Date.UTC(2026, 0, 1, 10, 5, 0) } : {}),
  },
});

function hook(url: string, format: 'alertmanager' | 'slack', opts: Partial<ConstructorParameters<typeof Webhook>[2]> = {}) {
  const reg = new Registry();
  const c = counter(reg, 'canopy_alert_deliveries_total', 'x', ['format', 'result']);
  const w = new Webhook(
    url,
    format,
    { queueSize: 10, retries: 3, retryBackoffMs: 50, timeoutMs: 2000, ...opts },
    c,
    new RateLimitedLog(silentLogger()),
  );
  hooks.push(w);
  const count = async (result: string) =>
    (await c.get()).values.find((v) => v.labels.result === result && v.labels.format === format)?.value ?? 0;
  return { w, count };
}

describe('webhook formats', () => {
  it('Alertmanager v2 alerts: labels with alertname and the element, annotations, startsAt, endsAt once resolved', () => {
    expect(payload('alertmanager', [notice('firing'), notice('resolved', 'edge-2')])).toEqual([
      {
        labels: { alertname: 'spine-link-down', element: 'edge-1', name: 'eth1', a: 'spine1:Ethernet1', b: 'leaf1:swp1' },
        annotations: { summary: 'link spine1:Ethernet1 — leaf1:swp1 is DOWN', description: 'a spine uplink is down' },
        startsAt: '2026-01-01T10:00:00.000Z',
      },
      {
        labels: { alertname: 'spine-link-down', element: 'edge-2', name: 'eth1', a: 'spine1:Ethernet1', b: 'leaf1:swp1' },
        annotations: { summary: 'link spine1:Ethernet1 — leaf1:swp1 is DOWN', description: 'a spine uplink is down' },
        startsAt: '2026-01-01T10:00:00.000Z',
        endsAt: '2026-01-01T10:05:00.000Z',
      },
    ]);
  });

  it('Slack-compatible: one text line per alert saying firing or resolved', () => {
    expect(payload('slack', [notice('firing'), notice('resolved')])).toEqual({
      text:
        '[FIRING] spine-link-down: link spine1:Ethernet1 — leaf1:swp1 is DOWN (since 2026-01-01T10:00:00.000Z)\n' +
        '[RESOLVED] spine-link-down: link spine1:Ethernet1 — leaf1:swp1 is DOWN (at 2026-01-01T10:05:00.000Z)',
    });
  });

  it('logs never show a webhook path (Slack URLs carry their secret there)', () => {
    expect(redact('https://hooks.slack.example/services/T0/B0/XXXX')).toBe('https://hooks.slack.example/…');
  });
});

describe('webhook delivery', () => {
  it('retries a failing receiver with doubling backoff until it answers 2xx', async () => {
    const r = await receiver((n, _req, res) => res.writeHead(n <= 2 ? 503 : 200).end());
    const { w, count } = hook(r.url, 'slack');
    w.enqueue([notice('firing')]);
    await w.idle();
    expect(r.bodies).toHaveLength(3);
    expect(r.bodies[2]).toEqual({ text: expect.stringContaining('[FIRING] spine-link-down') });
    // 50 ms, then 100 ms between attempts.
    expect(r.times[1]! - r.times[0]!).toBeGreaterThanOrEqual(45);
    expect(r.times[2]! - r.times[1]!).toBeGreaterThanOrEqual(95);
    expect(await count('ok')).toBe(1);
    expect(await count('failed')).toBe(0);
  });

  it('gives up after `retries` and counts the alerts as failed; the next batch is sent', async () => {
    let fail = true;
    const r = await receiver((_n, _req, res) => res.writeHead(fail ? 500 : 202).end());
    const { w, count } = hook(r.url, 'alertmanager', { retries: 2, retryBackoffMs: 10 });
    w.enqueue([notice('firing'), notice('firing', 'edge-2')]);
    await w.idle();
    expect(r.bodies).toHaveLength(3);
    expect(await count('failed')).toBe(2);
    fail = false;
    w.enqueue([notice('resolved')]);
    await w.idle();
    expect(await count('ok')).toBe(1);
    expect((r.bodies[3] as { endsAt?: string }[])[0]!.endsAt).toBe('2026-01-01T10:05:00.000Z');
  });

  it('a dead receiver (never answers) blocks nobody: enqueue returns at once, the queue is bounded and drops are counted', async () => {
    const dead = await receiver(() => undefined); // reads the request, never answers
    const live = await receiver((_n, _req, res) => res.writeHead(200).end());
    const d = hook(dead.url, 'alertmanager', { queueSize: 2, timeoutMs: 60_000, retries: 5 });
    const l = hook(live.url, 'alertmanager');
    const t0 = performance.now();
    for (let i = 0; i < 6; i++) {
      d.w.enqueue([notice('firing', `e${i}`)]);
      l.w.enqueue([notice('firing', `e${i}`)]);
    }
    expect(performance.now() - t0).toBeLessThan(50);
    await l.w.idle();
    expect(live.bodies).toHaveLength(6);
    // One in flight, two queued, three dropped.
    expect(d.w.pending).toBe(3);
    expect(await d.count('dropped')).toBe(3);
    expect(dead.bodies).toHaveLength(1);
  });

  it('a refused connection is retried, then dropped as failed', async () => {
    const r = await receiver((_n, _req, res) => res.writeHead(200).end());
    const url = r.url;
    await new Promise((ok) => r.server.close(ok));
    servers.splice(servers.indexOf(r.server), 1);
    const { w, count } = hook(url, 'alertmanager', { retries: 1, retryBackoffMs: 10 });
    w.enqueue([notice('firing')]);
    await w.idle();
    expect(await count('failed')).toBe(1);
  });
});
