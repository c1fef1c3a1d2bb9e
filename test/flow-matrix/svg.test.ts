// SVG through WASM Graphviz in a worker thread: renders, keeps the event loop free, and a layout
// past its deadline ends with SvgTimeoutError while the next rendering works (a new worker).
import { describe, expect, it } from 'vitest';
import { dotToSvg, SvgTimeoutError } from '../../src/flow-matrix/svg.ts';

const big = () => {
  const lines = ['digraph g {'];
  for (let i = 0; i < 3000; i++) lines.push(`  "n${i}" -> "n${(i * 7 + 1) % 3000}" [label="TCP : 10.0.0.${i % 250}:80"];`);
  return lines.join('\n') + '\n}';
};

describe('dotToSvg', () => {
  it('renders a cluster and a labelled edge as SVG', async () => {
    const svg = await dotToSvg('digraph { subgraph "cluster_0" { label="web"; "a" } "b" -> "a" [label="TCP : 10.0.0.1:80"] }');
    expect(svg).toMatch(/^<\?xml[\s\S]*<svg[\s\S]*<\/svg>\s*$/);
    expect(svg).toContain('<title>cluster_0</title>');
    expect(svg).toContain('>TCP : 10.0.0.1:80</text>');
  });

  it('lays out off the event loop; a layout past the deadline is abandoned, the next one works', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const started = performance.now();
    await expect(dotToSvg(big(), 300)).rejects.toBeInstanceOf(SvgTimeoutError);
    clearInterval(timer);
    const ms = performance.now() - started;
    expect(ms).toBeLessThan(5_000);
    // The timer kept firing while Graphviz worked (a blocked loop would give ~0).
    expect(ticks).toBeGreaterThan((ms / 10) * 0.3);
    expect(await dotToSvg('digraph { x -> y }')).toContain('<title>x&#45;&gt;y</title>');
  }, 20_000);
});
