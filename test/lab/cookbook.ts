// docs/query-cookbook.md as something to run: every ```gremlin and ```sh block, each announced by an
// `<!-- check: ID -->` comment, executed against a collector in a lab (Gremlin through the API, shell
// recipes verbatim with bash in the management namespace). The doc's lab addresses (10.77.x) and
// example MAC are replaced by the running lab's, as `lab up --subnet-base` does for the daemons.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { TestLab } from './lab-fixture.ts';

export const COOKBOOK = resolve(import.meta.dirname, '../../docs/query-cookbook.md');
/** The example MAC the doc uses for h1's NIC. */
export const DOC_MAC = '52:54:00:12:34:56';

export interface CookbookBlock {
  id: string;
  lang: 'gremlin' | 'sh';
  code: string;
  line: number;
}

/** The checked blocks, and the fenced query/shell blocks that have no check (which the test rejects). */
export function cookbookBlocks(md = readFileSync(COOKBOOK, 'utf8')): { blocks: CookbookBlock[]; unchecked: number[] } {
  const lines = md.split('\n');
  const blocks: CookbookBlock[] = [];
  const unchecked: number[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(gremlin|sh|bash)\s*$/.exec(lines[i]!);
    if (!open) continue;
    let end = i + 1;
    while (end < lines.length && lines[end] !== '```') end++;
    const check = /^<!-- check: ([\w-]+) -->$/.exec(lines[i - 1] ?? '');
    if (check)
      blocks.push({ id: check[1]!, lang: open[1] === 'gremlin' ? 'gremlin' : 'sh', code: lines.slice(i + 1, end).join('\n'), line: i + 1 });
    else unchecked.push(i + 1);
    i = end;
  }
  return { blocks, unchecked };
}

export interface CookbookRun {
  /** Replaces the doc's example values with the lab's. */
  subst(code: string): string;
  gremlin(query: string): Promise<unknown>;
  sh(script: string, env?: Record<string, string>): Promise<string>;
}

/** `curlArgs`: extra curl arguments for the Gremlin requests (credentials of a collector with auth on). */
export function cookbookRunner(lab: TestLab, api: string, h1Mac: string, curlArgs: string[] = []): CookbookRun {
  const base = lab.state.mgmtSubnet.split('.').slice(0, 2).join('.') + '.';
  const subst = (code: string) => code.replaceAll('10.77.', base).replaceAll(DOC_MAC, h1Mac);
  return {
    subst,
    async gremlin(query) {
      const r = await lab.exec(lab.mgmtNs, 'curl', [
        '-s',
        '--max-time',
        '10',
        ...curlArgs,
        '-XPOST',
        `${api}/api/topology`,
        '-d',
        JSON.stringify({ GremlinQuery: subst(query) }),
      ]);
      try {
        return JSON.parse(r.stdout) as unknown;
      } catch {
        throw new Error(`${query}: the API answered ${r.stdout.slice(0, 300)}`);
      }
    },
    async sh(script, env = {}) {
      const r = await lab.exec(
        lab.mgmtNs,
        'env',
        [...Object.entries(env).map(([k, v]) => `${k}=${v}`), 'bash', '-euo', 'pipefail', '-c', subst(script)],
        { allowFail: true },
      );
      if (r.code !== 0) throw new Error(`recipe failed (exit ${r.code}): ${r.stderr.slice(0, 500)}\n${script}`);
      return r.stdout;
    },
  };
}
