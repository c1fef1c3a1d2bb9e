import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { parseQuery, QueryError } from '../../../src/topology/query/index.ts';
import { tokenize } from '../../../src/topology/query/lexer.ts';
import { parseRaw } from '../../../src/topology/query/parser.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 2000);

function errorOf(q: string): QueryError {
  try {
    parseQuery(q);
  } catch (e) {
    if (e instanceof QueryError) return e;
    throw e;
  }
  throw new Error(`expected a QueryError for ${q}`);
}

describe('lexer', () => {
  it('reads strings in both quotes with escapes, numbers and punctuation with offsets', () => {
    const toks = tokenize(`G.V("a\\"b", 'it\\'s', -5, 1.5e3, '10\\.0\\..*', '\\u00e9')`);
    expect(toks.map((t) => t.type)).toEqual([
      'ident',
      '.',
      'ident',
      '(',
      'string',
      ',',
      'string',
      ',',
      'number',
      ',',
      'number',
      ',',
      'string',
      ',',
      'string',
      ')',
      'eof',
    ]);
    expect(toks[4]).toMatchObject({ text: 'a"b', pos: 4 });
    expect(toks[6]).toMatchObject({ text: "it's", pos: 12 });
    expect(toks[8]).toMatchObject({ text: '-5', pos: 21 });
    expect(toks[10]).toMatchObject({ text: '1.5e3' });
    expect(toks[12]!.text).toBe('10\\.0\\..*'); // unknown escapes keep the backslash (regexes)
    expect(toks[14]!.text).toBe('é');
  });
});

describe('parser', () => {
  it('builds typed steps, case-insensitively', () => {
    const a = parseQuery("g.v().HAS('Type', 'host').haskey('MAC').out('State', NE('DOWN')).COUNT()");
    expect(a.source).toEqual({ kind: 'V', id: undefined, pos: 2 });
    expect(a.steps.map((s) => s.type)).toEqual(['has', 'has', 'out', 'count']);
    expect(a.resultKind).toBe('count');
    const out = a.steps[2]!;
    expect(out.type === 'out' && out.filter?.terms[0]).toEqual({ key: 'State', pred: { op: 'ne', value: 'DOWN' } });
  });

  it('parses every predicate', () => {
    const a = parseQuery(
      "G.V().Has('a', NE(1), 'b', Within('x', 2, true), 'c', Without('y'), 'd', Regex('eth[0-9]+'), 'e', Lt(1), 'f', Gt(-2.5), " +
        "'g', Lte(3), 'h', Gte(4), 'i', Inside(1, 5), 'j', Between(1, 5), 'k', Ipv4Range('10.0.0.0/8'), 'l', Outside(0, 9))",
    );
    const s = a.steps[0]!;
    if (s.type !== 'has') throw new Error('has expected');
    expect(s.filter.terms.map((t) => t.pred?.op)).toEqual([
      'ne',
      'within',
      'without',
      'regex',
      'lt',
      'gt',
      'lte',
      'gte',
      'inside',
      'between',
      'ipv4range',
      'outside',
    ]);
    expect(s.filter.terms[1]!.pred).toEqual({ op: 'within', values: ['x', 2, true] });
    expect(s.filter.terms[5]!.pred).toEqual({ op: 'gt', value: -2.5 });
    expect(s.filter.terms[10]!.pred).toMatchObject({ op: 'ipv4range', net: 0x0a000000, mask: 0xff000000 });
  });

  it('parses At/Context, Sort, Range/Limit, ShortestPathTo, Descendants', () => {
    expect(parseQuery("G.At('-5m').V()").time).toEqual({ at: { kind: 'relative', offsetMs: -300_000 }, durationMs: 0, pos: 2 });
    expect(parseQuery('G.Context(NOW, 300).V()').time).toEqual({ at: { kind: 'now' }, durationMs: 300_000, pos: 2 });
    expect(parseQuery('G.At(1479899809).V()').time?.at).toEqual({ kind: 'absolute', ms: 1479899809000 });
    expect(parseQuery('G.At(1479899809000).V()').time?.at).toEqual({ kind: 'absolute', ms: 1479899809000 });
    expect(parseQuery("G.At('Wed, 23 Nov 2016 11:16:49 GMT').V()").time?.at).toEqual({ kind: 'absolute', ms: 1479899809000 });
    expect(parseQuery("G.At('2016-11-23T11:16:49Z', '1h').V()").time).toMatchObject({ at: { ms: 1479899809000 }, durationMs: 3_600_000 });
    expect(parseQuery("G.V().Sort(DESC, 'Speed')").steps[0]).toEqual({ type: 'sort', order: 'desc', key: 'Speed', pos: 6 });
    expect(parseQuery("G.V().Sort('Name')").steps[0]).toMatchObject({ order: 'asc', key: 'Name' });
    expect(parseQuery('G.V().Sort()').steps[0]).toMatchObject({ order: 'asc', key: 'CreatedAt' });
    expect(parseQuery('G.V().Range(2, 5)').steps[0]).toMatchObject({ type: 'range', from: 2, to: 5 });
    expect(parseQuery('G.V().Limit(3)').steps[0]).toMatchObject({ type: 'range', from: 0, to: 3 });
    const sp = parseQuery("G.V().ShortestPathTo(Metadata('Type', 'host'), Metadata('RelationType', 'layer2'))");
    expect(sp.resultKind).toBe('paths');
    expect(sp.steps[0]).toMatchObject({ target: { terms: [{ key: 'Type' }] }, edgeFilter: { terms: [{ key: 'RelationType' }] } });
    expect(parseQuery('G.V().Descendants()').steps[0]).toMatchObject({ type: 'descendants', depth: 1 });
    expect(parseQuery('G.V().Ascendants(0)').steps[0]).toMatchObject({ type: 'ascendants', depth: 0 });
    expect(parseQuery("G.V('abc')").source).toMatchObject({ kind: 'V', id: 'abc' });
    expect(parseQuery("G.E('abc').InV()").resultKind).toBe('nodes');
  });

  it.each([
    ["G.V().Has('Type', 'host'", 24, "')' or ','", 'end of input'],
    ["G.V().Has('a' 'b')", 14, "')' or ','", "''b''"],
    ['G.V().Foo()', 6, 'a step name (V, E, Has, Out, In, Count, …)', "'Foo'"],
    ['X.V()', 0, "'G'", "'X'"],
    ['G.V', 3, "'('", 'end of input'],
    ['G.V())', 5, "'.' or end of input", "')'"],
    ["G.V().Has('a', Foo('x'))", 15, 'a value (string, number, NOW, ASC, DESC) or a predicate (NE, Within, Regex, …)', "'Foo'"],
    ["G.V().Has('a', )", 15, 'a value (string, number, NOW, ASC, DESC) or a predicate (NE, Within, Regex, …)', "')'"],
    ['G', 1, "'.V()' or '.E()'", 'end of input'],
  ])('syntax error in %s at %i', (q, pos, expected, found) => {
    const e = errorOf(q);
    expect(e.code).toBe('syntax');
    expect(e.status).toBe(400);
    expect(e.position).toBe(pos);
    expect(e.expected).toBe(expected);
    expect(e.found).toBe(found);
    expect(e.message).toBe(`at ${pos}: expected ${expected} but found ${found}`);
  });

  it('reports an unterminated string at the end with where it opened', () => {
    const e = errorOf("G.V('abc");
    expect(e).toMatchObject({ code: 'syntax', position: 8, found: 'end of input' });
    expect(e.expected).toBe("closing ' for the string opened at 4");
  });

  it.each([
    ["G.V().Has('Name', 'x').Count().Out()", 31, 'Out() cannot follow a step that yields a count'],
    ['G.V().Out().At(1)', 12, 'At() must come right after G'],
    ['G.V().OutV()', 6, 'OutV() cannot follow a step that yields nodes'],
    ['G.E().Out()', 6, 'Out() cannot follow a step that yields edges'],
    ["G.V().Has('a', 'b', 'c')", 20, 'Has() takes key, value pairs; the last key has no value'],
    ['G.V().Has()', 6, 'Has() needs at least one key'],
    ['G.V().Has(1, 2)', 10, 'Has() key must be a string, not number'],
    ['G.V().Count(1)', 6, 'Count() takes 0 arguments, got 1'],
    ["G.V().Has('a', Lt('x'))", 18, 'Lt() value must be a number'],
    ["G.V().Has('a', Ipv4Range('10.0.0.0/33'))", 25, "Ipv4Range() needs an IPv4 CIDR like '10.0.0.0/8', got '10.0.0.0/33'"],
    ["G.V().Has('a', Regex('[a-'))", 21, 'Regex() pattern is invalid'],
    ["G.V().ShortestPathTo('x')", 21, 'ShortestPathTo() takes Metadata(k, v, …) arguments'],
    ["G.At('yesterday-ish').V()", 5, "At() time 'yesterday-ish' is neither RFC 1123, ISO 8601, a duration like '-5m' nor NOW"],
    ['G.At(NOW, -5).V()', 10, 'At() duration must be between 0 and 100 years'],
    ['G.At(NOW)', 9, 'expected V(), E() or Flows() after G.At(…)'],
    ["G.V().Sort('a', 'b')", 11, 'Sort() takes ASC or DESC before the key'],
  ])('invalid query %s', (q, pos, msg) => {
    const e = errorOf(q);
    expect(e.code).toBe('invalid');
    expect(e.position).toBe(pos);
    expect(e.message.startsWith(`at ${pos}: ${msg}`)).toBe(true);
  });

  it('parses Flows() after nodes and as a source, Sockets() after nodes and flows; Flows() after edges is invalid', () => {
    expect(parseQuery("G.V().Has('Type', 'host').Flows('proto', 6).Sort(DESC, 'bytes').Limit(5)").resultKind).toBe('flows');
    expect(parseQuery("G.Flows('dstPort', 22).Count()").source.kind).toBe('F');
    expect(parseQuery('G.V().Flows().Sockets()').resultKind).toBe('sockets');
    expect(parseQuery("G.V().Has('Type', 'host').Sockets()").resultKind).toBe('sockets');
    expect(errorOf('G.E().Sockets()')).toMatchObject({ code: 'invalid', position: 6, status: 400 });
    expect(errorOf("G.Flows().Sockets('x')")).toMatchObject({ code: 'invalid' });
    expect(errorOf('G.V().Sockets().Out()')).toMatchObject({ code: 'invalid' });
    expect(errorOf('G.E().Flows()')).toMatchObject({ code: 'invalid', position: 6 });
    expect(errorOf('G.Flows().Out()')).toMatchObject({ code: 'invalid' });
  });

  it('refuses regexes that backtrack catastrophically', () => {
    for (const p of ['(a+)+', '(a|aa)*b', '(.*a){20}', '(x+x+)+y', '(a)\\1']) {
      expect(errorOf(`G.V().Has('Name', Regex('${p}'))`).message).toContain('Regex() pattern refused');
    }
    for (const p of ['eth[0-9]+', '(eth|ens)[0-9]+', 'host-(1|2)?', '10\\.0\\..*', '(ab)+']) {
      expect(() => parseQuery(`G.V().Has('Name', Regex('${p}'))`)).not.toThrow();
    }
  });
});

describe('pathological input is a QueryError, never a crash', () => {
  it('10k nested parentheses', () => {
    const e = errorOf("G.V().Has('a', " + '('.repeat(10_000) + ')'.repeat(10_000) + ')');
    expect(e).toMatchObject({ code: 'syntax', position: 15 });
  });

  it('10k nested predicate calls stop at the depth limit', () => {
    const e = errorOf("G.V().Has('a', " + 'NE('.repeat(10_000) + '1' + ')'.repeat(10_000) + ')');
    expect(e.code).toBe('invalid');
    expect(e.message).toContain('nesting deeper than 8 calls');
    expect(e.position).toBe(15 + 3 * 8);
  });

  it('10k chained steps stop at the step limit', () => {
    const e = errorOf('G.V()' + '.Out()'.repeat(10_000));
    expect(e.message).toContain('too many steps (limit 64)');
  });

  it('huge or inverted Range/Limit', () => {
    expect(errorOf('G.V().Range(0, 1e300)').message).toContain('Range() end 1e+300 is above the limit 1000000000');
    expect(errorOf('G.V().Range(0, 99999999999999999999999)').message).toContain('above the limit');
    expect(errorOf('G.V().Range(0.5, 2)').message).toContain('Range() start must be a non-negative integer');
    expect(errorOf('G.V().Range(5, 2)').message).toContain('Range() end 2 is before its start 5');
    expect(errorOf('G.V().Limit(-1)').message).toContain('Limit() count must be a non-negative integer');
    expect(errorOf('G.V().Descendants(100000)').message).toContain('above the limit 1024');
    expect(errorOf('G.V().Has(1e999, 1)').message).toContain('out of range');
  });

  it('a 1 MB query is refused before lexing (413)', () => {
    const e = errorOf(`G.V().Has('Name', '${'x'.repeat(1 << 20)}')`);
    expect(e).toMatchObject({ code: 'too_long', status: 413 });
  });

  it('too many arguments', () => {
    const vals = Array.from({ length: 2000 }, (_, i) => `'${i}'`).join(',');
    expect(errorOf(`G.V().Has('Name', Within(${vals}))`).message).toContain('too many arguments (limit 1024)');
  });

  it('random text and random token soup only ever yield QueryErrors', () => {
    const tokens = [
      'G',
      'g',
      '.',
      'V',
      'E',
      '(',
      ')',
      ',',
      "'Type'",
      '"host"',
      '1',
      '-2.5',
      'Has',
      'Out',
      'NE',
      'Within',
      'Regex',
      "'(a+)+'",
      'Metadata',
      'At',
      'NOW',
      'DESC',
      'Range',
      'Count',
      'ShortestPathTo',
      '1e400',
      "'",
      '\\',
    ];
    const check = (q: string) => {
      try {
        parseQuery(q);
      } catch (e) {
        if (!(e instanceof QueryError)) throw e;
        expect(e.status).toBeGreaterThanOrEqual(400);
        expect(e.status).toBeLessThan(500);
      }
    };
    fc.assert(fc.property(fc.string({ maxLength: 200 }), check), { numRuns: RUNS });
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...tokens), { maxLength: 40 }).map((a) => a.join('')),
        check,
      ),
      { numRuns: RUNS },
    );
  });

  it('raw parse keeps positions of every step', () => {
    expect(parseRaw("G.V().Has('a','b').Out()").steps.map((s) => [s.name, s.pos])).toEqual([
      ['V', 2],
      ['Has', 6],
      ['Out', 19],
    ]);
  });
});
