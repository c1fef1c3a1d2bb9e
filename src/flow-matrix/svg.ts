// DOT → SVG with Graphviz compiled to WebAssembly (@hpcc-js/wasm-graphviz): no system binary, no
// download (the module embeds its wasm). Loaded once, on first use, as the instance is ~2 MB.
import type { Graphviz } from '@hpcc-js/wasm-graphviz';

let loading: Promise<Graphviz> | undefined;

export async function dotToSvg(dot: string): Promise<string> {
  loading ??= import('@hpcc-js/wasm-graphviz').then((m) => m.Graphviz.load());
  const gv = await loading;
  return gv.dot(dot, 'svg');
}
