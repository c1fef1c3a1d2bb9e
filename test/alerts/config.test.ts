// The alerts config section: shorthand conditions and durations, and rules refused at load naming the key.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../src/config/load.ts';

const load = (alerts: Record<string, unknown>) =>
  loadConfig({ env: {}, overrides: Object.fromEntries(Object.entries(alerts).map(([k, v]) => [`alerts.${k}`, v])) }).alerts;

describe('alerts config', () => {
  it('takes `condition: kind` shorthand with that kind’s defaults, and durations for `for`', () => {
    const a = load({
      rules: [
        { name: 'spine', condition: 'link-down', for: '30s' },
        { name: 'hot', condition: { kind: 'utilisation', above: 80 }, for: '5m' },
        { name: 'quiet', condition: 'silent' },
        { name: 'down', query: "G.V().Has('State', 'DOWN')" },
      ],
      webhooks: [{ url: 'http://127.0.0.1:9093/api/v2/alerts' }, { url: 'https://hooks.example/x', format: 'slack' }],
    });
    expect(a.rules).toEqual([
      { name: 'spine', condition: { kind: 'link-down', role: 'spine' }, for: 30 },
      { name: 'hot', condition: { kind: 'utilisation', above: 80, window: 60 }, for: 300 },
      { name: 'quiet', condition: { kind: 'silent', after: 300 }, for: 0 },
      { name: 'down', query: "G.V().Has('State', 'DOWN')", condition: { kind: 'match' }, for: 0 },
    ]);
    expect(a.webhooks.map((w) => w.format)).toEqual(['alertmanager', 'slack']);
    expect(a.enabled).toBe(true);
  });

  it('refuses a bad query, a match rule without one, duplicate names, an unknown kind and a non-HTTP webhook', () => {
    expect(() => load({ rules: [{ name: 'a', query: 'G.V().Nope(' }] })).toThrow(/alerts\.rules\.0\.query: bad Gremlin query/);
    expect(() => load({ rules: [{ name: 'a' }] })).toThrow(/a match rule needs a query/);
    expect(() =>
      load({
        rules: [
          { name: 'a', condition: 'silent' },
          { name: 'a', condition: 'link-down' },
        ],
      }),
    ).toThrow(/unique/);
    expect(() => load({ rules: [{ name: 'a', condition: 'weather' }] })).toThrow(/alerts\.rules\.0\.condition/);
    expect(() => load({ rules: [{ name: 'a', condition: { kind: 'utilisation', above: 150 } }] })).toThrow(/above/);
    expect(() => load({ webhooks: [{ url: 'file:///etc/passwd' }] })).toThrow(/alerts\.webhooks\.0\.url/);
  });

  it('loads the example of docs/alerts.md', () => {
    const doc = readFileSync(new URL('../../docs/alerts.md', import.meta.url), 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(doc)![1]!;
    const dir = mkdtempSync(join(tmpdir(), 'canopy-alerts-doc-'));
    try {
      writeFileSync(join(dir, 'canopy.yaml'), yaml);
      const a = loadConfig({ env: {}, file: join(dir, 'canopy.yaml') }).alerts;
      expect(a.rules.map((r) => r.condition.kind)).toEqual(['link-down', 'utilisation', 'silent', 'new-device', 'cabling', 'match']);
      expect(a.webhooks.map((w) => w.format)).toEqual(['alertmanager', 'slack']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
