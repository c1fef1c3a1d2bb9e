// The WebSocket subscriber filter (docs/architecture.md#http-api, X-Gremlin-Filter): when a filter is only G.V()/G.E()
// plus Has/HasKey/HasNot/HasEither, each changed element can be tested on its own. Anything with
// traversal steps needs the graph around the element; the caller re-evaluates or debounces those.
import type { GraphElement } from '../types.ts';
import { isEdge } from '../types.ts';
import type { Ast } from './ast.ts';
import { compileFilter, compileHasNot, type ElementMatcher } from './match.ts';

export type CompiledElementFilter =
  { simple: true; elements: 'nodes' | 'edges'; match: (el: GraphElement) => boolean } | { simple: false; reason: string };

export function compileElementFilter(ast: Ast): CompiledElementFilter {
  if (ast.time) return { simple: false, reason: 'At()/Context() filters are evaluated against history, not per change' };
  const tests: ElementMatcher[] = [];
  if (ast.source.id !== undefined) {
    const id = ast.source.id;
    tests.push((el) => el.ID === id);
  }
  for (const s of ast.steps) {
    if (s.type === 'has') tests.push(compileFilter(s.filter));
    else if (s.type === 'hasNot') tests.push(compileHasNot(s.key));
    else return { simple: false, reason: `the filter has a traversal step at ${s.pos}` };
  }
  const wantEdges = ast.source.kind === 'E';
  return {
    simple: true,
    elements: wantEdges ? 'edges' : 'nodes',
    match: (el) => isEdge(el) === wantEdges && tests.every((t) => t(el)),
  };
}
