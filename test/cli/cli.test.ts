// The `canopy` CLI as a user meets it, run as a child process: a closed pipe is a normal end,
// errors are one line with documented exit codes, --version, template-less NetFlow data reported,
// DOT labels with real line breaks, a hint to --data-dir when no collector answers.
import { describe, it, expect, afterAll } from 'vitest';
import { spawnSync, execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { openGraphStore } from '../../src/topology/store/sqlite-store.ts';

const bin = resolve('bin/canopy.js');
const PCAPS = resolve('fixtures/pcaps');
const dir = mkdtempSync(join(tmpdir(), 'canopy-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function canopy(args: string[]) {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CANOPY_')));
  return spawnSync(process.execPath, [bin, ...args], { cwd: dir, env, encoding: 'utf8', timeout: 60_000 });
}

const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
/** Node prints stack frames as "    at fn (file:line)". */
const STACK = /^\s+at /m;

function hasDot(): boolean {
  try {
    execFileSync('dot', ['-V'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('canopy CLI', () => {
  it('`decode … | head` ends with status 0 and nothing on stderr when the reader closes', () => {
    // Far more output than a pipe buffers (the same capture 60 times ≈ 2 MB), so writes do meet the closed pipe.
    const files = Array.from({ length: 60 }, () => join(PCAPS, 'ovs-sflow.pcap'));
    const r = spawnSync(
      'bash',
      [
        '-c',
        `"${process.execPath}" "${bin}" decode ${files.map((f) => `"${f}"`).join(' ')} | head -n 2 >/dev/null; echo "status=\${PIPESTATUS[0]}"`,
      ],
      { cwd: dir, encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.stdout.trim()).toBe('status=0');
    expect(r.stderr).toBe('');
  });

  it('a missing or unreadable file is one line naming it, status 1, and no output', () => {
    const missing = canopy(['decode', join(PCAPS, 'ovs-sflow.pcap'), '/nonexistent/x.pcap']);
    expect(missing.status).toBe(1);
    expect(missing.stderr).toBe('canopy decode: cannot read /nonexistent/x.pcap: no such file\n');
    expect(missing.stdout).toBe('');
    const isDir = canopy(['decode', dir]);
    expect(isDir.stderr).toBe(`canopy decode: cannot read ${dir}: is a directory\n`);
    expect(isDir.status).toBe(1);
  });

  it('an unexpected error is one line (no stack) with status 1', () => {
    const bad = join(dir, 'corrupt');
    rmSync(bad, { recursive: true, force: true });
    execFileSync('mkdir', ['-p', bad]);
    writeFileSync(join(bad, 'canopy.db'), 'this is not a SQLite database, only text long enough to have a header '.repeat(20));
    const r = canopy(['query', '--data-dir', bad, 'G.V()']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^canopy query: .*not a database\n$/);
    expect(r.stderr).not.toMatch(STACK);
  });

  it('--version, -V and `canopy version` print the package version', () => {
    for (const a of ['--version', '-V', 'version']) {
      const r = canopy([a]);
      expect(r.status, a).toBe(0);
      expect(r.stdout, a).toBe(`canopy ${version}\n`);
    }
  });

  it('--help documents the exit statuses; usage errors are status 2', () => {
    const h = canopy(['--help']);
    expect(h.status).toBe(0);
    expect(h.stdout).toMatch(/exit status:\n\s+0\s+success.*\n\s+1\s+runtime error.*\n\s+2\s+usage error/);
    expect(h.stdout).toContain('--version');
    const d = canopy(['decode', '--help']);
    expect(d.status).toBe(0);
    expect(d.stdout).toMatch(/exit status:[\s\S]*0 +at least one packet decoded[\s\S]*1 +nothing decoded[\s\S]*2 +usage error/);
    expect(canopy(['decode']).status).toBe(2);
    expect(canopy(['decode', '--bogus', 'x']).status).toBe(2);
  });

  it('NetFlow v9 data without its template is reported on stderr with a count; status 1 only when nothing decoded', () => {
    const data = join(PCAPS, 'goflow2__netflow_test-nfv9-data260.bin');
    const tpl = join(PCAPS, 'goflow2__netflow_test-nfv9-template260.bin');
    const alone = canopy(['decode', data]);
    expect(alone.stdout).toBe('');
    expect(alone.stderr).toBe(
      "canopy decode: 1 data set skipped: no template (template ID 260) — capture the exporter's template packets too, or give the template file first\n",
    );
    expect(alone.status).toBe(1);
    // Two exporters' data, two templates missing.
    const two = canopy(['decode', data, join(PCAPS, 'akvorado__multiplesamplingrates-data.pcap')]);
    expect(two.stderr).toContain('canopy decode: 2 data sets skipped: no template (template IDs 260, 328)');
    expect(two.status).toBe(1);
    // With the template first: 21 records, nothing to report.
    const ok = canopy(['decode', tpl, data]);
    expect(ok.stdout.trim().split('\n')).toHaveLength(21);
    expect(ok.stderr).toBe('');
    expect(ok.status).toBe(0);
    // Something decoded, something skipped: status 0, still reported.
    const mixed = canopy(['decode', join(PCAPS, 'ovs-sflow.pcap'), data]);
    expect(mixed.status).toBe(0);
    expect(mixed.stderr).toContain('1 data set skipped: no template (template ID 260)');
  });

  it('query --dot labels break lines with the DOT \\n escape (Graphviz draws two lines)', () => {
    const dataDir = join(dir, 'dot');
    execFileSync('mkdir', ['-p', dataDir]);
    const store = openGraphStore({ path: join(dataDir, 'canopy.db') });
    store.write((tx) => {
      tx.upsertNode({ ID: 'sw-1', Metadata: { Type: 'switch', Name: 'leaf "A"' } });
      tx.upsertNode({ ID: 'p-1', Metadata: { Type: 'port', Name: 'C:\\eth1' } });
      tx.upsertEdge({ ID: 'e-1', Parent: 'sw-1', Child: 'p-1', Metadata: { RelationType: 'ownership' } });
    });
    store.close();
    const r = canopy(['query', '--data-dir', dataDir, '--dot', 'G.V().SubGraph()']);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      [
        'digraph canopy {',
        '  node [shape=box];',
        '  "sw-1" [label="leaf \\"A\\"\\nswitch"];',
        '  "p-1" [label="C:\\\\eth1\\nport"];',
        '  "sw-1" -> "p-1" [label="ownership" style=dashed];',
        '}',
        '',
      ].join('\n'),
    );
    if (hasDot()) {
      const svg = execFileSync('dot', ['-Tsvg'], { input: r.stdout, encoding: 'utf8' });
      const texts = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
      expect(texts).toEqual(expect.arrayContaining(['leaf &quot;A&quot;', 'switch', 'C:\\eth1', 'port']));
      expect(texts.some((t) => t?.includes('\\n'))).toBe(false);
    }
  });

  it('query with no collector listening says so in one line and points at --data-dir', async () => {
    // A port that was free a moment ago: nothing listens there.
    const port = await new Promise<number>((res) => {
      const s = createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as { port: number }).port;
        s.close(() => res(p));
      });
    });
    const r = canopy(['query', '--collector', `http://127.0.0.1:${port}`, 'G.V()']);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain(`cannot reach a collector at http://127.0.0.1:${port}: connection refused`);
    expect(r.stderr).toContain('--data-dir');
  });

  it('lab --help says it needs root', () => {
    const r = canopy(['lab', '--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/needs root/i);
    expect(canopy(['--help']).stdout).toMatch(/lab .*needs root/);
  });
});
