// The import directions of docs/architecture.md ("Rules"), checked by `npm run lint`. Each rule
// names the direction it keeps; test/rules/import-rules.test.ts proves each one fires.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: 'resolvable',
      comment: 'Every import resolves: an import the check cannot follow is one it cannot judge.',
      severity: 'error',
      from: {},
      to: { couldNotResolve: true },
    },
    {
      name: 'src-not-test',
      comment: 'Shipped code never imports test code.',
      severity: 'error',
      from: { path: '^src/' },
      to: { path: '^test/' },
    },
    {
      name: 'collectors-not-api',
      comment: 'Collectors expose interfaces; the HTTP routes that read them live in src/api/routes.',
      severity: 'error',
      from: { path: '^src/collectors/' },
      to: { path: '^src/api/' },
    },
    {
      name: 'collectors-write-topology',
      comment: 'Collectors reach the topology through its writer (store, ids, stitcher input), never the query engine.',
      severity: 'error',
      from: { path: '^src/collectors/' },
      to: { path: '^src/topology/(query/|query-adapters\\.ts$)' },
    },
    {
      name: 'parts-not-wiring',
      comment: 'Only the entry points import the wiring (src/collector.ts, src/components.ts); parts import the contract in src/component/.',
      severity: 'error',
      from: { path: '^src/(collectors|topology|api|lldp|ovs|ui|component|config|util|alerts|cabling)/' },
      to: { path: '^src/(collector|components)\\.ts$' },
    },
    {
      name: 'topology-independent',
      comment: 'The topology imports neither the sources that feed it nor the API that reads it.',
      severity: 'error',
      from: { path: '^src/topology/' },
      to: { path: '^src/(collectors|api|ui|component|lab|cli|demo)/|^src/(collector|components|cli)\\.ts$' },
    },
    {
      name: 'api-reads-topology',
      comment: 'The API reads the topology through the store interface, the element types and the query engine, not the stitcher, the fabric or the SQLite implementation.',
      severity: 'error',
      from: { path: '^src/api/' },
      to: { path: '^src/topology/', pathNot: '^src/topology/(types|ids|store/graph-store|query-adapters)\\.ts$|^src/topology/query/' },
    },
    {
      name: 'browser-only-browser',
      comment: 'Browser code (src/ui/web) imports only browser code and the packages it bundles (add a new browser package here).',
      severity: 'error',
      from: { path: '^src/ui/web/' },
      // Not anchored: a node_modules reached through a symlink resolves to its real path.
      to: { pathNot: '^src/ui/web/|node_modules/(graphology|sigma)/', dependencyTypesNot: ['core'] },
    },
    {
      name: 'browser-no-node',
      comment: 'Browser code cannot use Node built-ins.',
      severity: 'error',
      from: { path: '^src/ui/web/' },
      to: { dependencyTypes: ['core'] },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    // Type-only imports are dependencies too: a collector importing an API type still points at the API.
    tsPreCompilationDeps: true,
    exclude: { path: '^src/ui/web/public/' },
    // Packages' "exports" subpaths (hono/body-limit) resolve as Node resolves them.
    enhancedResolveOptions: { exportsFields: ['exports'], conditionNames: ['import', 'require', 'node', 'default', 'types'] },
  },
};
