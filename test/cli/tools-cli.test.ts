// `canopy decode`, `replay` and `query` as a script meets them, run as child processes: --help lists the
// options and the exit statuses (status 0, on stdout), a bad option is one line on stderr with status
// 2, a runtime failure one line with status 1, and the output parses as JSON (src/cli.ts usage()).
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ADMIN, startCanopy } from '../contract/harness.ts';
import { openGraphStore } from '../../src/topology/store/sqlite-store.ts';

const bin = resolve('bin/canopy.js');
const PCAP = resolve('fixtures/pcaps/ovs-sflow.pcap');
const dir = mkdtempSync(join(tmpdir(), 'canopy-tools-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Asynchronous, so a collector in this process keeps answering while the CLI runs. */
function canopy(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CANOPY_')));
  return new Promise((res) => {
    execFile(
      process.execPath,
      [bin, ...args],
      { cwd: dir, env, encoding: 'utf8', timeout: 60_000, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        res({ status: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr });
      },
    );
  });
}

const lines = (s: string) => s.split('\n').filter((l) => l !== '');
const jsonLines = (s: string) => lines(s).map((l) => JSON.parse(l) as Record<string, unknown>);

const COMMANDS: { name: string; options: string[]; badValue: string[] }[] = [
  { name: 'decode', options: ['--exporter', '--help'], badValue: ['--exporter'] },
  { name: 'replay', options: ['--json', '--table-size', '--help'], badValue: ['--table-size', 'zero', PCAP] },
  {
    name: 'query',
    options: ['--collector', '--data-dir', '--user', '--password', '--token', '--dot', '--help'],
    badValue: ['--collector'],
  },
];

describe.each(COMMANDS)('canopy $name', ({ name, options, badValue }) => {
  it('--help and -h list the options and the three exit statuses on stdout, status 0', async () => {
    for (const flag of ['--help', '-h']) {
      const r = await canopy([name, flag]);
      expect(r.status, flag).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(new RegExp(`^usage: canopy ${name} `));
      for (const o of options) expect(r.stdout, o).toContain(o);
      expect(r.stdout).toMatch(/exit status:\n\s+0 +\S[\s\S]*\n\s+1 +\S[\s\S]*\n\s+2 +usage error/);
    }
  });

  it('a bad option, a missing value or a missing argument is one line on stderr, nothing on stdout, status 2', async () => {
    for (const args of [['--bogus', 'x'], badValue, []]) {
      const r = await canopy([name, ...args]);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stdout, args.join(' ')).toBe('');
      expect(lines(r.stderr), args.join(' ')).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`^canopy ${name}: .*\\(see canopy ${name} --help\\)\\n$`));
    }
  });
});

describe('runtime failures are one line with status 1; results parse as JSON', () => {
  it('decode: an unreadable file is status 1; a capture gives JSON lines', async () => {
    const gone = await canopy(['decode', join(dir, 'nope.pcap')]);
    expect(gone.status).toBe(1);
    expect(gone.stderr).toBe(`canopy decode: cannot read ${join(dir, 'nope.pcap')}: no such file\n`);
    const ok = await canopy(['decode', PCAP]);
    expect(ok.status).toBe(0);
    const recs = jsonLines(ok.stdout);
    expect(recs.length).toBeGreaterThan(0);
    for (const r of recs) expect(typeof r).toBe('object');
  });

  it('replay: a file that is not a pcap is status 1; --json gives one flow direction per line', async () => {
    const text = join(dir, 'not.pcap');
    writeFileSync(text, 'this is not a capture file at all, only text\n'.repeat(4));
    const bad = await canopy(['replay', text]);
    expect(bad.status).toBe(1);
    expect(lines(bad.stderr)).toHaveLength(1);
    expect(bad.stderr).toMatch(/^canopy replay: .*not\.pcap: /);
    const ok = await canopy(['replay', '--json', PCAP]);
    expect(ok.status).toBe(0);
    const rows = jsonLines(ok.stdout);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows)
      expect(r).toMatchObject({ srcAddr: expect.any(String), dstAddr: expect.any(String), packets: expect.any(Number) });
  });

  it('query: a bad query is status 1 with the position; a data dir and a collector with auth answer JSON', async () => {
    const dataDir = join(dir, 'store');
    rmSync(dataDir, { recursive: true, force: true });
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dataDir);
    const store = openGraphStore({ path: join(dataDir, 'canopy.db') });
    store.write((tx) => tx.upsertNode({ ID: 'tools-1', Metadata: { Type: 'switch', Name: 'leaf-1' } }));
    store.close();
    const bad = await canopy(['query', '--data-dir', dataDir, 'G.V().Has(']);
    expect(bad.status).toBe(1);
    expect(lines(bad.stderr)).toHaveLength(1);
    expect(bad.stderr).toMatch(/^canopy query: .*expected/);
    const fromDir = await canopy(['query', '--data-dir', dataDir, "G.V().Has('Type','switch')"]);
    expect(fromDir.status).toBe(0);
    expect((JSON.parse(fromDir.stdout) as { ID: string }[]).map((n) => n.ID)).toEqual(['tools-1']);

    const c = await startCanopy({ auth: true });
    try {
      const base = `http://${c.endpoint}`;
      const denied = await canopy(['query', '--collector', base, 'G.V()']);
      expect(denied.status).toBe(1);
      expect(denied.stderr).toMatch(/^canopy query: 401: .*\n$/);
      const ok = await canopy(['query', '--collector', base, '--user', ADMIN.username, '--password', ADMIN.password, 'G.V().Count()']);
      expect(ok.status).toBe(0);
      expect(JSON.parse(ok.stdout)).toBe(0);
    } finally {
      await c.stop();
    }
  });

  it('canopy with no command prints the usage on stderr (status 2); an unknown command is one line', async () => {
    const none = await canopy([]);
    expect(none.status).toBe(2);
    expect(none.stdout).toBe('');
    expect(none.stderr).toMatch(/^usage: canopy <command>/);
    const unknown = await canopy(['frobnicate']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toBe('canopy: unknown command "frobnicate" (see canopy --help)\n');
  });
});
