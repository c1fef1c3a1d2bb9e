// Static serving of the built UI: types, caching, ETags, the 503 page, traversal, and auth:
// the UI loads without a session while the API stays closed.
import { mkdtempSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UiComponent } from '../../src/ui/component.ts';
import { StaticUi } from '../../src/ui/serve.ts';
import { startUiCollector } from './helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'canopy-ui-static-'));
mkdirSync(join(dir, 'assets'));
writeFileSync(join(dir, 'index.html'), '<!doctype html><title>x</title>');
writeFileSync(join(dir, 'assets', 'app-abc123.js'), 'console.log(1)');
writeFileSync(join(dir, 'assets', 'app-abc123.css'), 'body{}');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const get = (ui: StaticUi, path: string, headers: Record<string, string> = {}) => ui.handle(new Request(`http://x${path}`, { headers }));

describe('StaticUi', () => {
  const ui = new StaticUi(dir);
  it('serves index.html at / uncached-but-validated and hashed assets as immutable', async () => {
    const r = (await get(ui, '/'))!;
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('cache-control')).toBe('no-cache');
    expect(await r.text()).toContain('<title>x</title>');
    const etag = r.headers.get('etag')!;
    expect((await get(ui, '/', { 'if-none-match': etag }))!.status).toBe(304);
    const js = (await get(ui, '/assets/app-abc123.js'))!;
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect((await get(ui, '/assets/app-abc123.css'))!.headers.get('content-type')).toBe('text/css; charset=utf-8');
  });
  it('leaves API paths, unknown files and traversal attempts to the API (404 there)', async () => {
    for (const p of [
      '/api/status',
      '/ws/subscriber',
      '/healthz',
      '/metrics',
      '/login',
      '/nope.js',
      '/../../etc/passwd',
      '/assets/%2e%2e/%2e%2e/package.json',
    ]) {
      expect(await get(ui, p)).toBeUndefined();
    }
    expect(await ui.handle(new Request('http://x/', { method: 'POST' }))).toBeUndefined();
  });
  it('answers 503 naming npm run build:ui when the build is missing', async () => {
    const r = (await get(new StaticUi(join(dir, 'missing')), '/'))!;
    expect(r.status).toBe(503);
    expect(await r.text()).toContain('npm run build:ui');
  });
});

describe('UI component started from a checkout without a build', () => {
  it('builds the missing UI folder at start, so every way of starting serves the wall', async () => {
    const out = join(dir, 'fresh-build');
    const ui = new StaticUi(out);
    expect((await get(ui, '/'))!.status).toBe(503);
    await new UiComponent(ui, undefined, true).start();
    const r = (await get(ui, '/'))!;
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('<title>Canopy</title>');
    // Current now: a second start does not build again.
    const before = statSync(join(out, 'index.html')).mtimeMs;
    await new UiComponent(ui, undefined, true).start();
    expect(statSync(join(out, 'index.html')).mtimeMs).toBe(before);
  }, 60_000);
});

describe('UI component in a collector with auth on', () => {
  it('serves the UI without a session, keeps /api/* closed, and drops the Basic challenge for scripts', async () => {
    const c = await startUiCollector({ 'auth.users': [{ name: 'noc', password: 'wall-display-pw', role: 'viewer' }] });
    try {
      const page = await fetch(`${c.base}/`);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>Canopy</title>');
      const api = await fetch(`${c.base}/api/status`);
      expect(api.status).toBe(401);
      expect(api.headers.get('www-authenticate')).toBe('Basic realm="canopy"');
      const xhr = await fetch(`${c.base}/api/status`, { headers: { 'X-Requested-With': 'XMLHttpRequest' } });
      expect(xhr.status).toBe(401);
      expect(xhr.headers.get('www-authenticate')).toBeNull();
      const status = await fetch(`${c.base}/api/status`, {
        headers: { Authorization: `Basic ${Buffer.from('noc:wall-display-pw').toString('base64')}` },
      });
      expect(((await status.json()) as any).components.ui.built).toBe(true);
    } finally {
      await c.stop();
    }
  });
});
