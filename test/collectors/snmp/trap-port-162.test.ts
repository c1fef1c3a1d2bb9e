// The ways docs/getting-started.md gives to receive traps on port 162 without running the collector
// as root, tried as user nobody in a network namespace of the test's own: the unprivileged-port
// sysctl (per namespace) and an ambient CAP_NET_BIND_SERVICE (what systemd's AmbientCapabilities
// sets). Without either, the collector refuses to start and says which address it could not bind.
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readableInstall, type ReadableInstall } from '../../support/readable-install.ts';

const have = (c: string) => spawnSync('which', [c]).status === 0;
const skip =
  process.getuid?.() !== 0
    ? 'needs root (network namespace, setpriv)'
    : !have('snmptrap')
      ? 'snmptrap missing (Debian package snmp)'
      : !have('setpriv')
        ? 'setpriv missing'
        : null;
const NS = `t162-${process.pid}`;
const NOBODY = 65534;
/** The collector as nobody can read it, whatever the checkout's location and modes. */
let install: ReadableInstall;

function ns(...args: string[]) {
  const r = spawnSync('ip', ['netns', 'exec', NS, ...args], { encoding: 'utf8', timeout: 20_000 });
  return { code: r.status ?? 1, out: r.stdout, err: r.stderr };
}

/** Starts the collector as nobody (optionally with an ambient capability); resolves with its output once it listens or exits. */
function collector(cfg: string, caps: string[] = []): Promise<{ listening: boolean; out: string; stop: () => Promise<void> }> {
  const setpriv = [
    'setpriv',
    `--reuid=${NOBODY}`,
    `--regid=${NOBODY}`,
    '--clear-groups',
    ...caps.flatMap((c) => [`--inh-caps=+${c}`, `--ambient-caps=+${c}`]),
  ];
  const env = { PATH: process.env.PATH, HOME: '/tmp', CANOPY_LOG_LEVEL: 'info' };
  const child = spawn('ip', ['netns', 'exec', NS, ...setpriv, process.execPath, 'bin/canopy.js', 'collector', '--config', cfg], {
    cwd: install.dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  return new Promise((res) => {
    const timer = setTimeout(() => res({ listening: false, out: `${out}\n(timeout)`, stop }), 30_000);
    child.stdout.on('data', () => {
      if (out.includes('collector listening')) {
        clearTimeout(timer);
        res({ listening: true, out, stop });
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      res({ listening: false, out, stop });
    });
  });
}

describe.skipIf(skip !== null)(`traps on port 162 without root${skip ? ` (skipped: ${skip})` : ''}`, () => {
  let dir: string;
  let cfg: string;
  const API = '127.0.0.1:18162';

  beforeAll(() => {
    spawnSync('ip', ['netns', 'del', NS]);
    expect(spawnSync('ip', ['netns', 'add', NS]).status).toBe(0);
    expect(ns('ip', 'link', 'set', 'lo', 'up').code).toBe(0);
    install = readableInstall();
    dir = mkdtempSync(join(tmpdir(), 'canopy-162-'));
    chmodSync(dir, 0o755);
    const data = join(dir, 'data');
    spawnSync('mkdir', ['-p', data]);
    chownSync(data, NOBODY, NOBODY);
    cfg = join(dir, 'canopy.yml');
    writeFileSync(
      cfg,
      [
        `api: { listen: "${API}" }`,
        `storage: { dataDir: "${data}" }`,
        'sflow: { enabled: false }',
        'netflow: { enabled: false }',
        'ipfix: { enabled: false }',
        'snmp: { traps: { listen: "127.0.0.1:162" } }',
      ].join('\n'),
    );
    chmodSync(cfg, 0o644);
  });

  afterAll(() => {
    spawnSync('ip', ['netns', 'del', NS]);
    if (dir) rmSync(dir, { recursive: true, force: true });
    install?.remove();
  });

  const trapReceived = async () => {
    expect(ns('snmptrap', '-v', '2c', '-c', 'public', '-m', '', '127.0.0.1:162', '', '1.3.6.1.6.3.1.1.5.3').code).toBe(0);
    for (let i = 0; i < 50; i++) {
      const st = ns('curl', '-s', `http://${API}/api/status`);
      const traps =
        st.code === 0
          ? (JSON.parse(st.out) as { components: { snmp: { traps: { received: number; listen: string[] } } } }).components.snmp.traps
          : undefined;
      if (traps && traps.received > 0) return traps;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error('no trap received on 127.0.0.1:162');
  };

  it('as nobody with no privilege, the collector refuses to start and names the address', async () => {
    expect(ns('sysctl', '-n', 'net.ipv4.ip_unprivileged_port_start').out.trim()).toBe('1024');
    const c = await collector(cfg);
    await c.stop();
    expect(c.listening).toBe(false);
    expect(c.out).toMatch(/EACCES/);
    expect(c.out).toContain('162');
  }, 40_000);

  const bindsAndReceives = async (caps: string[] = []) => {
    const c = await collector(cfg, caps);
    try {
      expect(c.listening, c.out).toBe(true);
      expect((await trapReceived()).listen).toEqual(['127.0.0.1:162']);
    } finally {
      await c.stop();
    }
  };

  it(
    'with an ambient CAP_NET_BIND_SERVICE (systemd AmbientCapabilities) it binds 162 and receives traps',
    () => bindsAndReceives(['net_bind_service']),
    40_000,
  );

  it('with net.ipv4.ip_unprivileged_port_start=162 it binds 162 and receives traps', async () => {
    expect(ns('sysctl', '-q', '-w', 'net.ipv4.ip_unprivileged_port_start=162').code).toBe(0);
    await bindsAndReceives();
  }, 40_000);
});
